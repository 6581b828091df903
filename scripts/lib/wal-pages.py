"""Which B-trees the pages of a SQLite WAL's commits belong to: for each of the last commits of the current WAL cycle
(frames whose salts match the header), the distinct pages it wrote, attributed to a table or index by the `dbstat`
virtual table of the database with that WAL applied. Prints pages per commit, per B-tree, most first.

    python3 scripts/lib/wal-pages.py DATABASE [COMMITS, default 200]

DATABASE is a copy (DATABASE-wal beside it): opening it checkpoints nothing but may recover the WAL's index.
Pages freed and reused within the window are attributed to their B-tree now. Used by scripts/profile-writer.sh.
"""
import collections
import sqlite3
import struct
import sys

database = sys.argv[1]
window = int(sys.argv[2]) if len(sys.argv) > 2 else 200
wal = open(database + "-wal", "rb").read()
_, _, page_size, _, salt1, salt2, _, _ = struct.unpack(">8I", wal[:32])
commits, current, offset = [], [], 32
while offset + 24 + page_size <= len(wal):
    page, commit_size, frame_salt1, frame_salt2 = struct.unpack(">4I", wal[offset : offset + 16])
    if (frame_salt1, frame_salt2) != (salt1, salt2):
        break  # the rest is from the WAL's previous cycle
    current.append(page)
    if commit_size:
        commits.append(set(current))
        current = []
    offset += 24 + page_size
connection = sqlite3.connect(database)
owner = {page: name for name, page in connection.execute("SELECT name, pageno FROM dbstat")}
last = commits[-window:]
if not last:
    sys.exit("no commit in the WAL's current cycle")
counts = collections.Counter(owner.get(page, "(free or new)") for commit in last for page in commit)
total = sum(counts.values())
print(f"{len(last)} commits of this WAL cycle, {total / len(last):.1f} distinct pages each")
for name, count in counts.most_common():
    print(f"{count / len(last):8.2f}  {100 * count / total:5.1f} %  {name}")
