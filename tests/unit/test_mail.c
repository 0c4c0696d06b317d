/*
 * test_mail.c: arca_ix_mail, arca_ix_mbox and arca_mbox_sniff.  Headers
 * (subject, author, date, sent, to, cc, ids) and body words of shipped
 * corpus messages; RFC 2047 Korean subjects in UTF-8 and EUC-KR, raw
 * 8-bit EUC-KR and KOI8-R headers, ISO-2022-JP and KOI8-R bodies;
 * HTML-only alternatives, plain preferred over HTML, signatures skipped;
 * attachments as children with their names (RFC 2231 too) and exact
 * bytes, a forwarded message among them; encrypted parts; control
 * characters; binary garbage and prose; the limits on
 * part bytes, part count and text; mbox splitting with mboxrd quoting
 * undone and its limits; sniffing; several threads at once; and, when
 * the shared corpus is there, its 300 messages and its mbox, whose
 * message N must have the subject of the N-th message of its list.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indexers/indexer-private.h"
#include "indexers/mail-private.h"
#include "ix.h"

/* Index DATA as a message (or an mbox) into X (initialised here) and
 * check the form of what came out. */
static arca_status index_bytes(const void *data, size_t len,
                               const char *name, int mbox,
                               const arca_limits *limits, arca_extract *x)
{
    arca_limits lim = {.max_text = ARCA_DEFAULT_MAX_TEXT};
    if (limits != NULL)
        lim = *limits;
    if (lim.max_text == 0)
        lim.max_text = ARCA_DEFAULT_MAX_TEXT;
    arca_blob b = {data, len, name,
                   mbox ? "application/mbox" : "message/rfc822", NULL};
    arca_extract_init(x, lim.max_text);
    arca_status rc = mbox ? arca_ix_mbox(&b, x, &lim)
                          : arca_ix_mail(&b, x, &lim);
    assert_non_null(x->text);
    assert_int_equal(strlen(x->text), x->len);
    assert_true(arca_utf8_valid(x->text, x->len));
    assert_true(x->len <= lim.max_text);
    if (x->date != NULL)
        assert_int_equal(strlen(x->date), 10);
    for (size_t i = 0; i < x->nfields; i++)
        assert_true(arca_utf8_valid(x->fields[i].value,
                                    strlen(x->fields[i].value)));
    if (rc != ARCA_OK) {
        assert_true(x->errmsg[0] != '\0');
        if (name != NULL)
            assert_non_null(strstr(x->errmsg, name));
    }
    return rc;
}

/* Index the file at PATH, which must succeed. */
static void index_path(const char *path, int mbox, const arca_limits *lim,
                       arca_extract *x)
{
    size_t len;
    char *data = read_file(path, &len);
    if (data == NULL)
        fail_msg("cannot read %s", path);
    arca_status rc = index_bytes(data, len, path, mbox, lim, x);
    free(data);
    if (rc != ARCA_OK)
        fail_msg("%s: %s", path, x->errmsg);
}

static void index_fixture(const char *name, const arca_limits *lim,
                          arca_extract *x)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/mail/%s", testdata(), name);
    index_path(path, strstr(name, ".mbox") != NULL, lim, x);
}

static const arca_child *child(const arca_extract *x, const char *name)
{
    for (size_t i = 0; i < x->nchildren; i++)
        if (strcmp(x->children[i].name, name) == 0)
            return &x->children[i];
    return NULL;
}

#define assert_has(x, s) assert_non_null(strstr((x)->text, (s)))
#define assert_lacks(x, s) assert_null(strstr((x)->text, (s)))

/* ---- Messages ---- */

static void test_plain(void **state)
{
    (void)state;
    arca_extract x;
    index_fixture("ham-plain.eml", NULL, &x);
    assert_string_equal(x.title, "[zzzzteana] RE: Alexander");
    assert_string_equal(x.author, "Steve Burt <Steve_Burt@cursor-system.com>");
    assert_string_equal(x.date, "2002-08-22");
    assert_string_equal(field(&x, "sent"), "2002-08-22T12:46:18+01:00");
    assert_string_equal(field(&x, "from"),
                        "Steve Burt <Steve_Burt@cursor-system.com>");
    assert_non_null(strstr(field(&x, "to"), "zzzzteana@yahoogroups.com"));
    assert_string_equal(field(&x, "message_id"),
                        "5EC2AD6D2314D14FB64BDA287D25D9EF12B4F6@"
                        "exchange1.cps.local");
    assert_null(field(&x, "cc"));
    /* The header block leads, then the body. */
    assert_true(strncmp(x.text, "From: Steve Burt <Steve_Burt@cursor-system."
                        "com>\n", 48) == 0);
    assert_has(&x, "\nSubject: [zzzzteana] RE: Alexander\n");
    assert_has(&x, "\nDate: Thu, 22 Aug 2002 12:46:18 +0100\n\n");
    assert_has(&x, "So is this mountain limestone or granite?");
    assert_int_equal(x.nchildren, 0);
    arca_extract_free(&x);
}

static void test_html_latin1(void **state)
{
    (void)state;
    arca_extract x;
    index_fixture("ham-html.eml", NULL, &x);
    assert_string_equal(x.title,
                        "F2M - Ihre kostenlose Faxnummer - Newsletter");
    assert_string_equal(x.date, "2002-06-25");
    assert_string_equal(x.charset, "ISO-8859-1");
    /* ISO-8859-1 HTML as text: umlauts decoded, tags gone. */
    assert_has(&x, "Diese ermöglichen den kostenfreien Betrieb");
    assert_has(&x, "Stöbern Sie in unserem Angebot");
    assert_lacks(&x, "<td");
    assert_lacks(&x, "&ouml;");
    arca_extract_free(&x);
}

static void test_corpus_attachment(void **state)
{
    (void)state;
    arca_extract x;
    index_fixture("ham-attachment.eml", NULL, &x);
    assert_string_equal(x.title, "exmh and pgp: support for external "
                                 "passphrase cache (+patch)");
    assert_string_equal(x.author, "Alexander Zangerl <az@snafu.priv.at>");
    assert_string_equal(field(&x, "cc"), "welch@panasas.com");
    assert_string_equal(field(&x, "attachments"), "1");
    assert_int_equal(x.nchildren, 1);
    const arca_child *c = child(&x, "exmh-patch");
    assert_non_null(c);
    assert_non_null(c->data);
    assert_int_equal(c->len, 2376);
    assert_true(memcmp(c->data, "--- ", 4) == 0 ||
                memcmp(c->data, "diff", 4) == 0 ||
                memchr(c->data, '@', c->len) != NULL);
    /* The signature of multipart/signed is not an attachment. */
    for (size_t i = 0; i < x.nchildren; i++)
        assert_null(strstr(x.children[i].name, "signature"));
    arca_extract_free(&x);
}

static void test_korean_utf8(void **state)
{
    (void)state;
    arca_extract x;
    index_fixture("korean-utf8.eml", NULL, &x);
    assert_string_equal(x.title, "회의록 공유");
    assert_string_equal(x.author, "김철수 <kim@example.kr>");
    assert_string_equal(x.date, "2023-11-13");
    assert_string_equal(field(&x, "sent"), "2023-11-13T09:30:00+09:00");
    assert_string_equal(field(&x, "message_id"), "ko-utf8-1@example.kr");
    assert_has(&x, "Subject: 회의록 공유\n");
    assert_has(&x, "회의록을 보내 드립니다.");   /* base64 UTF-8 body */
    arca_extract_free(&x);
}

static void test_korean_euckr(void **state)
{
    (void)state;
    arca_extract x;
    index_fixture("korean-euckr.eml", NULL, &x);
    assert_string_equal(x.title, "답장: 회의록 공유");
    assert_string_equal(x.author, "박영희 <park@example.kr>");
    assert_string_equal(field(&x, "cc"), "Choi <choi@example.kr>");
    assert_string_equal(field(&x, "in_reply_to"), "ko-utf8-1@example.kr");
    assert_string_equal(field(&x, "sent"), "2023-11-14T18:05:09+09:00");
    assert_string_equal(x.charset, "EUC-KR");
    assert_has(&x, "예산 항목을 확인해 주세요.");
    arca_extract_free(&x);
}

static void test_raw_8bit_headers(void **state)
{
    (void)state;
    arca_extract x;
    /* Raw EUC-KR bytes in the headers: decoded with the body's charset. */
    index_fixture("raw8bit-euckr.eml", NULL, &x);
    assert_string_equal(x.title, "분기 보고서 초안");
    assert_string_equal(x.author, "정민호 <jung@example.kr>");
    assert_has(&x, "보고서 초안을 검토해");
    arca_extract_free(&x);
    /* Raw KOI8-R subject, quoted-printable KOI8-R body. */
    index_fixture("koi8r.eml", NULL, &x);
    assert_string_equal(x.title, "Отчёт за квартал");
    assert_string_equal(x.charset, "KOI8-R");
    assert_has(&x, "Добрый день! Высылаю квартальный отчёт.");
    arca_extract_free(&x);
}

static void test_iso2022jp(void **state)
{
    (void)state;
    arca_extract x;
    index_fixture("iso2022jp.eml", NULL, &x);
    assert_string_equal(x.title, "会議の議事録");
    assert_string_equal(x.author, "Tanaka <tanaka@example.jp>");
    assert_has(&x, "明日の会議は東京で行います。");
    arca_extract_free(&x);
}

static void test_alternatives(void **state)
{
    (void)state;
    arca_extract x;
    /* Only HTML: its text, without script or style. */
    index_fixture("html-only.eml", NULL, &x);
    assert_string_equal(x.title, "Autumn newsletter");
    assert_has(&x, "Autumn Newsletter");
    assert_has(&x, "The library opens on Saturday & Sunday.");
    assert_has(&x, "Café prices are unchanged.");
    assert_lacks(&x, "scriptword");
    assert_lacks(&x, "color: red");
    assert_lacks(&x, "<p>");
    assert_lacks(&x, "multi-part message in MIME format");
    arca_extract_free(&x);
    /* Plain and HTML: the plain part only. */
    index_fixture("alternative.eml", NULL, &x);
    assert_has(&x, "plainversionword");
    assert_lacks(&x, "htmlversionword");
    arca_extract_free(&x);
    /* multipart/signed: the content, not the signature. */
    index_fixture("signed.eml", NULL, &x);
    assert_has(&x, "signedbodyword");
    assert_lacks(&x, "PGP SIGNATURE");
    assert_int_equal(x.nchildren, 0);
    arca_extract_free(&x);
}

static void test_attachments(void **state)
{
    (void)state;
    arca_extract x, fwd;
    index_fixture("attachments.eml", NULL, &x);
    assert_string_equal(x.title, "Files for the meeting");
    assert_has(&x, "Please find the files attached.");
    /* Attachments are children, not text. */
    assert_lacks(&x, "Minutes of the budget meeting");
    assert_lacks(&x, "forwardedbodyword");
    assert_int_equal(x.nchildren, 4);
    assert_string_equal(field(&x, "attachments"), "4");

    const char notes[] = "Minutes of the budget meeting.\n"
                         "Action: review the quarterly figures.\n";
    const arca_child *c = child(&x, "notes.txt");
    assert_non_null(c);
    assert_int_equal(c->len, strlen(notes));
    assert_memory_equal(c->data, notes, c->len);

    const char report[] = "보고서 본문입니다.\n";   /* RFC 2231 name */
    c = child(&x, "보고서.txt");
    assert_non_null(c);
    assert_int_equal(c->len, strlen(report));
    assert_memory_equal(c->data, report, c->len);

    c = child(&x, "attachment-3.png");          /* nameless: type's ext */
    assert_non_null(c);
    assert_int_equal(c->len, 70);
    assert_memory_equal(c->data, "\x89PNG\r\n\x1a\n", 8);

    c = child(&x, "attachment-4.eml");          /* a forwarded message */
    assert_non_null(c);
    assert_non_null(c->data);
    assert_int_equal(index_bytes(c->data, c->len, "attachment-4.eml", 0, NULL,
                                 &fwd),
                     ARCA_OK);
    assert_string_equal(fwd.title, "Original forwarded note");
    assert_string_equal(fwd.author, "Carol <carol@example.org>");
    assert_has(&fwd, "forwardedbodyword in the inner message.");
    arca_extract_free(&fwd);
    arca_extract_free(&x);
}

static void test_not_a_message(void **state)
{
    (void)state;
    arca_extract x;
    static const unsigned char garbage[] = {0x00, 0x01, 0xFF, 0x7F, 'P', 'K',
                                            0x03, 0x04, 0x0A, ':', 0x00};
    assert_int_equal(index_bytes(garbage, sizeof garbage, "junk.eml", 0, NULL,
                                 &x),
                     ARCA_EFORMAT);
    assert_non_null(strstr(x.errmsg, "not an e-mail message"));
    arca_extract_free(&x);
    assert_int_equal(index_bytes("", 0, "empty.eml", 0, NULL, &x),
                     ARCA_EFORMAT);
    arca_extract_free(&x);
    const char prose[] = "Dear Sir,\nthis is a letter: not a message.\n";
    assert_int_equal(index_bytes(prose, strlen(prose), "letter.eml", 0, NULL,
                                 &x),
                     ARCA_EFORMAT);
    arca_extract_free(&x);
    /* An envelope line alone is no message either. */
    const char env[] = "From ann@example.org  Mon Nov 20 09:15:00 2023\n";
    assert_int_equal(index_bytes(env, strlen(env), "env.eml", 0, NULL, &x),
                     ARCA_EFORMAT);
    arca_extract_free(&x);
    /* The same bytes as an mbox, and a message as an mbox. */
    assert_int_equal(index_bytes(garbage, sizeof garbage, "junk.mbox", 1,
                                 NULL, &x),
                     ARCA_EFORMAT);
    assert_non_null(strstr(x.errmsg, "not an mbox"));
    arca_extract_free(&x);
    const char msg[] = "Subject: hi\n\nbody\n";
    assert_int_equal(index_bytes(msg, strlen(msg), "hi.mbox", 1, NULL, &x),
                     ARCA_EFORMAT);
    arca_extract_free(&x);
}

static void test_envelope_line(void **state)
{
    (void)state;
    arca_extract x;
    /* A message saved with its mbox envelope line: the line is skipped. */
    const char msg[] = "From ann@example.org  Mon Nov 20 09:15:00 2023\n"
                       "Subject: kept\nFrom: Ann <ann@example.org>\n\n"
                       "enveloped body\n";
    assert_int_equal(index_bytes(msg, strlen(msg), "env.eml", 0, NULL, &x),
                     ARCA_OK);
    assert_string_equal(x.title, "kept");
    assert_string_equal(x.author, "Ann <ann@example.org>");
    assert_has(&x, "enveloped body");
    arca_extract_free(&x);
}

static void test_encrypted(void **state)
{
    (void)state;
    arca_extract x;
    /* An encrypted part is counted, not read nor handed over; a fragment
     * of a split message (message/partial) is left out. */
    static const char msg[] =
        "Subject: secret\nFrom: a@example.org\n"
        "Content-Type: multipart/mixed; boundary=\"m\"\n\n"
        "--m\nContent-Type: text/plain\n\nvisible words\n"
        "--m\nContent-Type: multipart/encrypted; "
        "protocol=\"application/pgp-encrypted\"; boundary=\"e\"\n\n"
        "--e\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n"
        "--e\nContent-Type: application/octet-stream\n\n"
        "-----BEGIN PGP MESSAGE-----\nhQEMA\n-----END PGP MESSAGE-----\n"
        "--e--\n--m\nContent-Type: message/partial; id=\"x\"; number=1; "
        "total=2\n\nSubject: part\n--m--\n";
    assert_int_equal(index_bytes(msg, sizeof msg - 1, "enc.eml", 0, NULL, &x),
                     ARCA_OK);
    assert_string_equal(field(&x, "encrypted_parts"), "1");
    assert_has(&x, "visible words");
    assert_lacks(&x, "PGP MESSAGE");
    assert_int_equal(x.nchildren, 0);
    arca_extract_free(&x);
}

static void test_control_chars(void **state)
{
    (void)state;
    arca_extract x;
    /* NUL dropped (the rest kept), CR LF and lone CR made line feeds. */
    static const char msg[] = "Subject: tab\there\nContent-Type: text/plain; "
                              "charset=utf-8\n\nbefore\0after\r\nline two"
                              "\rline three\x01\n";
    assert_int_equal(index_bytes(msg, sizeof msg - 1, "ctl.eml", 0, NULL, &x),
                     ARCA_OK);
    assert_string_equal(x.title, "tab here");
    assert_has(&x, "\n\nbeforeafter\nline two\nline three \n");
    arca_extract_free(&x);
}

static void test_limits(void **state)
{
    (void)state;
    arca_extract x;
    /* Parts over 40 bytes are refused, with a note; the others stay. */
    arca_limits lim = {.max_member = 40};
    index_fixture("attachments.eml", &lim, &x);
    assert_int_equal(x.nchildren, 4);
    const arca_child *c = child(&x, "notes.txt");
    assert_non_null(c);
    assert_null(c->data);
    assert_non_null(strstr(c->note, "over the limit of 40"));
    c = child(&x, "보고서.txt");
    assert_non_null(c);
    assert_non_null(c->data);
    assert_null(child(&x, "attachment-4.eml")->data);
    arca_extract_free(&x);

    /* All parts together (counted at their encoded size before they are
     * decoded): the body and the first attachment fit, the rest are
     * refused with a note. */
    lim = (arca_limits){.max_expanded = 140};
    index_fixture("attachments.eml", &lim, &x);
    assert_has(&x, "Please find the files attached.");
    assert_non_null(child(&x, "notes.txt")->data);
    c = child(&x, "attachment-3.png");
    assert_null(c->data);
    assert_non_null(strstr(c->note, "more than 140 bytes"));
    size_t taken = 0;
    for (size_t i = 0; i < x.nchildren; i++)
        taken += x.children[i].len;
    assert_true(taken <= 140);
    arca_extract_free(&x);

    /* Two MIME objects: the multipart and its text; no attachment. */
    lim = (arca_limits){.max_members = 2};
    index_fixture("attachments.eml", &lim, &x);
    assert_int_equal(x.nchildren, 0);
    assert_true(x.truncated);
    assert_non_null(field(&x, "warning"));
    assert_has(&x, "Please find the files attached.");
    arca_extract_free(&x);

    /* The text cap holds at a character boundary. */
    lim = (arca_limits){.max_text = 61};
    index_fixture("korean-utf8.eml", &lim, &x);
    assert_true(x.truncated);
    assert_true(x.len <= 61);
    assert_string_equal(x.title, "회의록 공유");
    arca_extract_free(&x);
}

static void test_deep_nesting(void **state)
{
    (void)state;
    /* 200 nested multiparts: the walk stops at ARCA_MAIL_MAX_DEPTH. */
    size_t cap = 1 << 16, n = 0;
    char *m = malloc(cap);
    assert_non_null(m);
    n += (size_t)snprintf(m + n, cap - n, "Subject: deep\nContent-Type: "
                          "multipart/mixed; boundary=\"b0\"\n\n");
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(m + n, cap - n, "--b%d\nContent-Type: "
                              "multipart/mixed; boundary=\"b%d\"\n\n", i,
                              i + 1);
    n += (size_t)snprintf(m + n, cap - n, "--b200\nContent-Type: text/plain"
                          "\n\ndeepestword\n");
    arca_extract x;
    assert_int_equal(index_bytes(m, n, "deep.eml", 0, NULL, &x), ARCA_OK);
    assert_string_equal(x.title, "deep");
    assert_true(x.truncated);
    assert_string_equal(field(&x, "warning"),
                        "MIME parts nested too deep were not read");
    assert_lacks(&x, "deepestword");
    arca_extract_free(&x);
    free(m);
}

/* ---- mbox ---- */

static void test_mbox_fixture(void **state)
{
    (void)state;
    arca_extract x, m;
    index_fixture("mboxrd.mbox", NULL, &x);
    assert_string_equal(field(&x, "messages"), "3");
    assert_int_equal(x.nchildren, 3);
    assert_false(x.truncated);
    static const char *subjects[] = {"First in the box", "Second in the box",
                                     "Third in the box"};
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "message-%d.eml", i + 1);
        const arca_child *c = child(&x, name);
        assert_non_null(c);
        assert_non_null(c->data);
        /* The envelope line is gone: the message starts with its header. */
        assert_true(memcmp(c->data, "From: ", 6) == 0);
        assert_int_equal(index_bytes(c->data, c->len, name, 0, NULL, &m),
                         ARCA_OK);
        assert_string_equal(m.title, subjects[i]);
        if (i == 0) {
            /* mboxrd quoting undone, one '>' at a time. */
            assert_has(&m, "\nFrom the quoted line.\n");
            assert_has(&m, "\n>From a doubly quoted line.\n");
            assert_has(&m, "\n>Fromage is not quoted.\n");
            assert_lacks(&m, "Second body");
        }
        if (i == 1)     /* "From " after a non-empty line splits nothing */
            assert_has(&m, "\nFrom here, no blank line before");
        arca_extract_free(&m);
    }
    arca_extract_free(&x);
}

static void test_mbox_limits(void **state)
{
    (void)state;
    arca_extract x;
    arca_limits lim = {.max_members = 2};
    index_fixture("mboxrd.mbox", &lim, &x);
    assert_int_equal(x.nchildren, 2);
    assert_string_equal(field(&x, "messages"), "3");
    assert_true(x.truncated);
    assert_non_null(strstr(field(&x, "warning"), "first 2 of 3"));
    arca_extract_free(&x);

    lim = (arca_limits){.max_member = 160};  /* message 1 is larger */
    index_fixture("mboxrd.mbox", &lim, &x);
    assert_int_equal(x.nchildren, 3);
    assert_null(x.children[0].data);
    assert_non_null(strstr(x.children[0].note, "over the limit of 160"));
    assert_non_null(x.children[1].data);
    assert_non_null(x.children[2].data);
    arca_extract_free(&x);

    lim = (arca_limits){.max_expanded = 200};  /* 1 fits, 1+2 do not */
    index_fixture("mboxrd.mbox", &lim, &x);
    assert_int_equal(x.nchildren, 1);
    assert_true(x.truncated);
    assert_non_null(field(&x, "warning"));
    arca_extract_free(&x);
}

static void test_sniff(void **state)
{
    (void)state;
    char path[4096];
    size_t len;
    snprintf(path, sizeof path, "%s/mail/mboxrd.mbox", testdata());
    char *data = read_file(path, &len);
    assert_non_null(data);
    assert_int_equal(arca_mbox_sniff(data, len), 1);
    free(data);
    snprintf(path, sizeof path, "%s/mail/ham-plain.eml", testdata());
    data = read_file(path, &len);
    assert_non_null(data);
    assert_int_equal(arca_mbox_sniff(data, len), 0);
    free(data);
    static const char *no[] = {
        "",
        "From here on we write prose.\nSubject: x\n",   /* no date */
        "From a Mon Nov 20 09:15:00 2023\n\nbody\n",    /* no header */
        "From a Mon Nov 20 09:15:00 2023",              /* no line end */
        "From  Mon Nov 20 09:15:00 2023\nSubject: x\n", /* no sender */
        "Subject: From a Mon Nov 20 09:15:00 2023\n",
    };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_int_equal(arca_mbox_sniff(no[i], strlen(no[i])), 0);
    const char *yes = "From MAILER-DAEMON Fri Jul  8 12:08:34 2011 +0200\n"
                      "Return-Path: <a@b>\n";
    assert_int_equal(arca_mbox_sniff(yes, strlen(yes)), 1);
}

/* ---- Threads ---- */

static void *thread_main(void *arg)
{
    (void)arg;
    static const char *names[] = {"korean-euckr.eml", "raw8bit-euckr.eml",
                                  "html-only.eml", "attachments.eml",
                                  "iso2022jp.eml"};
    static const char *titles[] = {"답장: 회의록 공유", "분기 보고서 초안",
                                   "Autumn newsletter",
                                   "Files for the meeting", "会議の議事録"};
    char path[4096];
    intptr_t bad = 0;
    for (int round = 0; round < 10; round++)
        for (size_t i = 0; i < 5; i++) {
            size_t len;
            snprintf(path, sizeof path, "%s/mail/%s", testdata(), names[i]);
            char *data = read_file(path, &len);
            arca_blob b = {(unsigned char *)data, len, names[i],
                           "message/rfc822", NULL};
            arca_limits lim = {.max_text = ARCA_DEFAULT_MAX_TEXT};
            arca_extract x;
            arca_extract_init(&x, lim.max_text);
            if (data == NULL || arca_ix_mail(&b, &x, &lim) != ARCA_OK ||
                x.title == NULL || strcmp(x.title, titles[i]) != 0)
                bad++;
            arca_extract_free(&x);
            free(data);
        }
    return (void *)bad;
}

static void test_threads(void **state)
{
    (void)state;
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, thread_main, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *bad;
        assert_int_equal(pthread_join(t[i], &bad), 0);
        assert_int_equal((intptr_t)bad, 0);
    }
}

/* ---- The shared corpus ---- */

static void test_corpus_messages(void **state)
{
    (void)state;
    const char *c = corpus();
    if (c == NULL)
        skip();
    static const char *groups[] = {"easy-ham-1", "easy-ham-2", "hard-ham-1"};
    int messages = 0, dated = 0, titled = 0, worded = 0;
    for (size_t g = 0; g < 3; g++) {
        char dir[8192];
        snprintf(dir, sizeof dir, "%s/mail/%s", c, groups[g]);
        DIR *d = opendir(dir);
        if (d == NULL)
            skip();
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strstr(e->d_name, ".eml") == NULL)
                continue;
            char path[16384];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            arca_extract x;
            index_path(path, 0, NULL, &x);
            messages++;
            dated += x.date != NULL;
            titled += x.title != NULL;
            assert_non_null(field(&x, "from"));
            /* Some text past the header block. */
            const char *body = strstr(x.text, "\n\n");
            worded += body != NULL && strlen(body) > 20;
            arca_extract_free(&x);
        }
        closedir(d);
    }
    assert_int_equal(messages, 300);
    assert_true(dated >= 295);
    assert_true(titled >= 298);
    assert_true(worded >= 290);
}

static void test_corpus_mbox(void **state)
{
    (void)state;
    const char *c = corpus();
    if (c == NULL)
        skip();
    char path[8192];
    size_t len;
    snprintf(path, sizeof path, "%s/mail/mbox/ham-sample.mbox", c);
    char *data = read_file(path, &len);
    if (data == NULL)
        skip();
    assert_int_equal(arca_mbox_sniff(data, len), 1);
    free(data);
    arca_extract x;
    index_path(path, 1, NULL, &x);
    assert_string_equal(field(&x, "messages"), "100");
    assert_int_equal(x.nchildren, 100);

    snprintf(path, sizeof path, "%s/mail/mbox/ham-sample.list", c);
    char *list = read_file(path, &len);
    assert_non_null(list);
    list = realloc(list, len + 1);
    list[len] = '\0';
    char *save = NULL, *line = strtok_r(list, "\n", &save);
    for (size_t i = 0; i < 100; i++, line = strtok_r(NULL, "\n", &save)) {
        assert_non_null(line);
        char name[32], eml[16384];
        snprintf(name, sizeof name, "message-%zu.eml", i + 1);
        const arca_child *ch = child(&x, name);
        assert_non_null(ch);
        assert_non_null(ch->data);
        arca_extract a, b;
        assert_int_equal(index_bytes(ch->data, ch->len, name, 0, NULL, &a),
                         ARCA_OK);
        snprintf(eml, sizeof eml, "%s/mail/%s", c, line);
        index_path(eml, 0, NULL, &b);
        if (a.title == NULL || b.title == NULL)
            assert_ptr_equal(a.title, b.title);
        else if (strcmp(a.title, b.title) != 0)
            fail_msg("%s: subject \"%s\", but %s has \"%s\"", name, a.title,
                     line, b.title);
        assert_string_equal(field(&a, "from"), field(&b, "from"));
        arca_extract_free(&a);
        arca_extract_free(&b);
    }
    free(list);
    arca_extract_free(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_html_latin1),
        cmocka_unit_test(test_corpus_attachment),
        cmocka_unit_test(test_korean_utf8),
        cmocka_unit_test(test_korean_euckr),
        cmocka_unit_test(test_raw_8bit_headers),
        cmocka_unit_test(test_iso2022jp),
        cmocka_unit_test(test_alternatives),
        cmocka_unit_test(test_attachments),
        cmocka_unit_test(test_not_a_message),
        cmocka_unit_test(test_envelope_line),
        cmocka_unit_test(test_encrypted),
        cmocka_unit_test(test_control_chars),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_mbox_fixture),
        cmocka_unit_test(test_mbox_limits),
        cmocka_unit_test(test_sniff),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_corpus_messages),
        cmocka_unit_test(test_corpus_mbox),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    arca_mail_shutdown();
    return failed;
}
