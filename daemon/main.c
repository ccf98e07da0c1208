/* main.c: heraldd's entry point; the daemon lives in libherald. */
#include "config.h"

#include "herald.h"

int
main(int argc, char **argv)
{
	return herald_main(argc, argv);
}
