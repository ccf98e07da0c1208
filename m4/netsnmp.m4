# HERALD_CHECK_NETSNMP: net-snmp ships no .pc on Debian; ask net-snmp-config and
# prove with a link test that the flags work.
AC_DEFUN([HERALD_CHECK_NETSNMP], [
	AC_PATH_TOOL([NETSNMP_CONFIG], [net-snmp-config], [no])
	AS_IF([test "x$NETSNMP_CONFIG" = xno],
		[AC_MSG_ERROR([net-snmp-config not found: install libsnmp-dev])])
	# --base-cflags drags in the packager's flags and perl's include dir; the
	# headers live in the default path, so only the IPv6 define matters.
	NETSNMP_CFLAGS="-DNETSNMP_ENABLE_IPV6"
	NETSNMP_LIBS=`$NETSNMP_CONFIG --libs`
	save_CFLAGS=$CFLAGS; save_LIBS=$LIBS
	CFLAGS="$CFLAGS $NETSNMP_CFLAGS"; LIBS="$NETSNMP_LIBS $LIBS"
	AC_MSG_CHECKING([whether net-snmp links])
	AC_LINK_IFELSE([AC_LANG_PROGRAM([[
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
]], [[ init_snmp("conftest"); ]])],
		[AC_MSG_RESULT([yes])],
		[AC_MSG_RESULT([no]); AC_MSG_ERROR([cannot link with net-snmp])])
	CFLAGS=$save_CFLAGS; LIBS=$save_LIBS
	AC_SUBST([NETSNMP_CFLAGS])
	AC_SUBST([NETSNMP_LIBS])
])
