#include <sqlite3.h>

// sqlite3_config is variadic, which Swift cannot call: one fixed signature per option Kura sets.

/// The page cache SQLite would use (its built-in one unless another was installed).
static inline int kura_sqlite3_get_pcache2(sqlite3_pcache_methods2 *methods) {
    return sqlite3_config(SQLITE_CONFIG_GETPCACHE2, methods);
}

/// Installs a page cache; SQLITE_MISUSE once SQLite has been initialised (by the first open).
static inline int kura_sqlite3_set_pcache2(const sqlite3_pcache_methods2 *methods) {
    return sqlite3_config(SQLITE_CONFIG_PCACHE2, methods);
}
