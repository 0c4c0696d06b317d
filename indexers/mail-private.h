/*
 * mail-private.h: the e-mail indexers' entry points (indexers/mail.c),
 * for the registry, detection, the unit test and the fuzz targets until
 * indexer.h declares them.  Uses GMime 3; nothing else of arca needs to
 * know that.
 */
#ifndef ARCA_MAIL_PRIVATE_H
#define ARCA_MAIL_PRIVATE_H

#include "indexer.h"

/* MIME nesting (multiparts inside multiparts) walked at most; deeper
 * parts are left out and out->truncated is set. */
#define ARCA_MAIL_MAX_DEPTH 20

/*
 * One message (message/rfc822).  The title is the Subject, the author
 * the From address list ("Jane Doe <jane@example.org>"), the date the
 * Date header as YYYY-MM-DD; fields "sent" (the full timestamp with its
 * zone, ISO 8601), "from", "to", "cc", "message_id", "in_reply_to" where
 * present, and "attachments" (their count, when there are any).  The
 * text is a header block (From, To, Cc, Subject, Date) followed by the
 * body: text/plain preferred in multipart/alternative, else the HTML
 * part as text.  Attachments, non-text parts and forwarded messages
 * become children (arca_extract_child), named by their file name or
 * "attachment-N.EXT".  Limits: lim->max_members parts (0: 10000),
 * lim->max_member bytes per decoded part (0: 64 MiB), lim->max_expanded
 * bytes of all decoded parts (0: 256 MiB), ARCA_MAIL_MAX_DEPTH.
 * Return value: ARCA_OK, ARCA_EFORMAT (no header lines: not a message),
 * ARCA_ENOMEM.
 */
arca_status arca_ix_mail(const arca_blob *in, arca_extract *out,
                         const arca_limits *lim);

/*
 * An mbox (application/mbox): each message becomes a child
 * "message-N.eml" (N from 1) with its envelope ("From ") line dropped
 * and mboxrd quoting undone (">From " loses one '>').  Field "messages":
 * how many messages the file holds.  Past lim->max_members messages
 * (0: 10000) or lim->max_expanded bytes (0: 256 MiB) the rest are not
 * taken: out->truncated is set and the field "warning" says how many
 * were left out.  A message over lim->max_member bytes (0: 64 MiB) is a
 * refused child with a note.  Return value: ARCA_OK, ARCA_EFORMAT (no
 * "From " line starts the file), ARCA_ENOMEM.
 */
arca_status arca_ix_mbox(const arca_blob *in, arca_extract *out,
                         const arca_limits *lim);

/*
 * 1 when DATA looks like an mbox: a first line "From " SENDER DATE whose
 * tail holds a time (hh:mm) and a four-digit year, followed by an
 * RFC 822 header line ("Name: value").  0 otherwise.  Reads at most the
 * first 4 KiB.
 */
int arca_mbox_sniff(const void *data, size_t len);

/* Release what GMime holds for the whole process (for leak checks in
 * tests: call it last, once no thread indexes mail any more). */
void arca_mail_shutdown(void);

#endif /* ARCA_MAIL_PRIVATE_H */
