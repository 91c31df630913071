/* migrations.h: the numbered schema migrations (migrations.c). */
#ifndef KEEL_STORE_MIGRATIONS_H
#define KEEL_STORE_MIGRATIONS_H

struct store_migration {
    int number;          /* 1, 2, 3, ... with no gaps */
    const char *what;
    const char *sql;     /* statements separated by ';' */
};

extern const struct store_migration store_migrations[];
extern const int store_n_migrations;

#endif
