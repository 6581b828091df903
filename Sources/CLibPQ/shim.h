#include <libpq-fe.h>

/* PG_DIAG_* are character-literal macros, which Swift does not import. */
static const int kura_pg_diag_sqlstate = PG_DIAG_SQLSTATE;
static const int kura_pg_diag_message_primary = PG_DIAG_MESSAGE_PRIMARY;
