/*
 * sys.c: the system call seam of archive/.
 *
 * Every call of archive/ that changes the disk (and the open() that
 * precedes a read or an fsync) goes through arca_sys, so that a test can
 * replace one entry and make call N fail, the way SQLite's os_unix.c
 * aSyscall[] table does.  The defaults below call libc.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"

/* open() is variadic; the table wants a fixed signature. */
static int sys_open(const char *path, int flags, mode_t mode)
{
    return open(path, flags, mode);
}

struct arca_sys arca_sys = {
    .open = sys_open,
    .write = write,
    .fsync = fsync,
    .rename = rename,
    .link = link,
    .mkdir = mkdir,
};
