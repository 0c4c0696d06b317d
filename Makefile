# arca: GNU Makefile.  Each folder appends to the lists below in its own
# Makefile.local.  `make V=1` shows whole commands; `make O=DIR` builds in
# DIR; `make SANITIZE=1` builds with AddressSanitizer and UBSan.

all:

PREFIX   ?= /usr/local
DESTDIR  ?=
O        ?= build
SANITIZE ?=
ifeq ($(SANITIZE),1)
O        := build-asan
endif

PKGS := xapian-core lua5.4 libmagic zlib libdeflate libcrypto sqlite3 uchardet \
        libxml-2.0 jansson libutf8proc libexttextcat libcurl

CC  ?= cc
CXX ?= c++
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wpointer-arith -Wformat=2 -Wundef -Werror
OPT  ?= -O2 -g
SAN  :=
ifeq ($(SANITIZE),1)
SAN  := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
        -fno-omit-frame-pointer
OPT  := -O1 -g
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

CPPFLAGS += -D_GNU_SOURCE -I. -Icore
CFLAGS   += -std=c17 $(OPT) $(WARN) $(SAN) -fPIC -fvisibility=hidden -MD -MP
CXXFLAGS += -std=c++17 $(OPT) -Wall -Wextra -Wshadow -Werror $(SAN) -fPIC \
            -fvisibility=hidden -MD -MP
LDFLAGS  += $(SAN)

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRCS     :=
LIB_CXX_SRCS :=
TOOL_SRCS    :=
UNIT_TESTS   :=
CLEAN        :=

LIBARCA  := $(O)/libarca.a
ARCA     := $(O)/arca

subdirs := core archive indexers lua tools tests
include $(subdirs:%=%/Makefile.local)

LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o) $(LIB_CXX_SRCS:%.cc=$(O)/%.o)

all: $(ARCA)

$(O)/%.o: %.c | deps-ok
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(O)/%.o: %.cc | deps-ok
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CXX     $<")
	$(Q)$(CXX) $(CPPFLAGS) $(PKG_CFLAGS) $(CXXFLAGS) -c -o $@ $<

$(LIBARCA): $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

# ---- Debian packages ----

.PHONY: deps deps-ok
deps:
	$(Q)tools/install-deps build
# Checked once per build tree; `make deps` installs whatever is missing.
deps-ok: $(O)/.deps-ok
$(O)/.deps-ok: tools/install-deps
	$(Q)tools/install-deps build
	@mkdir -p $(O) && touch $@

# ---- Tests ----

.PHONY: check check-unit check-cmd check-asan
check: all check-unit check-cmd

check-asan:
	$(MAKE) SANITIZE=1 check

# ---- Install ----

.PHONY: install
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(ARCA) $(DESTDIR)$(PREFIX)/bin/arca
	install -m 644 tools/arca.1 $(DESTDIR)$(PREFIX)/share/man/man1/arca.1

.PHONY: clean
clean:
	rm -rf build build-asan $(CLEAN)

-include $(shell find $(O) -name '*.d' 2>/dev/null)

# ---- Demo ----

DEMO_DIR ?= $(O)/demo
DEMO_PORT ?= 8080
.PHONY: demo
demo: all
	@rm -rf $(DEMO_DIR)
	$(ARCA) init $(DEMO_DIR)
	$(ARCA) -C $(DEMO_DIR) import --ocr tests/data/sotu tests/data/html \
	  tests/data/encodings tests/data/announcement tests/data/pdf \
	  tests/data/hwp tests/data/office tests/data/images tests/data/archives \
	  tests/data/mail
	$(ARCA) -C $(DEMO_DIR) search --limit 3 'union year:1850..1869'
	$(ARCA) -C $(DEMO_DIR) search --limit 3 '경주 board:news'
	$(ARCA) -C $(DEMO_DIR) search --limit 3 --facet type 개똥이 OR 필터
	$(ARCA) -C $(DEMO_DIR) report per-year --format md union
	@echo
	@echo "The sample collection is in $(DEMO_DIR). Try:"
	@echo "  export ARCA_DIR=$(abspath $(DEMO_DIR)) PATH=$(abspath $(O)):\$$PATH"
	@echo "  arca search --facet year --facet lang 'the'"
	@echo "  arca search --json 'title:blur'"
	@echo "  arca show ID; arca get ID > original; arca fsck"
	@echo "  arca report timeline union > timeline.svg; arca run script.lua"
	@echo
	$(ARCA) -C $(DEMO_DIR) serve --port $(DEMO_PORT)
