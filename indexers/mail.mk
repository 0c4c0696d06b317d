# The e-mail indexers: GMime 3 (Debian libgmime-3.0-dev).
LIB_SRCS += indexers/mail.c
PKGS += gmime-3.0
