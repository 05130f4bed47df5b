/* vpntunctl import-setkey (src/vpntunctl_import.c). */
#ifndef VPNTUND_VPNTUNCTL_IMPORT_H
#define VPNTUND_VPNTUNCTL_IMPORT_H

/* argv[0] is "import-setkey"; returns the exit status. */
int import_setkey_main(int argc, char **argv);

#endif
