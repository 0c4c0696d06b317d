#!/usr/bin/env python3
"""tests/bench/fts5.py: the SQLite FTS5 peer of `make bench` (run.sh).

  fts5.py DB DIR [TOKENIZER]

Walks DIR (files in sorted path order), extracts the text of each file the
simple way the reference bench of the peers did, and inserts it into a fresh
FTS5 table `docs(path UNINDEXED, body)` with tokenize='unicode61' (or
TOKENIZER), in one transaction, one file after another:
  *.html, *.htm: Python's html.parser, script and style dropped, character
                 references decoded, whitespace collapsed;
  *.pdf:         `pdftotext -enc UTF-8 FILE -` (poppler), one process a file;
  anything else: read as UTF-8 text (errors replaced).
No archive, no stemming, no CJK segmentation (unicode61 keeps a run of CJK
characters as one token), no metadata beyond the path.  run.sh times the
whole process with GNU time; the figures printed here split that time.

Prints one key=value line: docs, failed (pdftotext exit status not 0),
in_bytes, text_bytes, extract_s, insert_s, commit_s, db_bytes.
"""
import os
import sqlite3
import subprocess
import sys
import time
from html.parser import HTMLParser


class Stripper(HTMLParser):
    SKIP = {"script", "style"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip += 1
        else:
            self.out.append(" ")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skip:
            self.skip -= 1
        else:
            self.out.append(" ")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def html_to_text(raw):
    p = Stripper()
    p.feed(raw.decode("utf-8", errors="replace"))
    p.close()
    return " ".join("".join(p.out).split())


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: fts5.py DB DIR [TOKENIZER]")
    db, src = sys.argv[1], sys.argv[2]
    tokenize = sys.argv[3] if len(sys.argv) == 4 else "unicode61"
    files = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(src) for f in fs)
    if os.path.exists(db):
        os.remove(db)
    con = sqlite3.connect(db)
    con.execute("CREATE VIRTUAL TABLE docs USING fts5(path UNINDEXED, body, "
                f"tokenize='{tokenize}')")
    con.execute("BEGIN")
    in_bytes = text_bytes = failed = 0
    t_extract = t_insert = 0.0
    for f in files:
        t0 = time.perf_counter()
        low = f.lower()
        if low.endswith((".html", ".htm")):
            with open(f, "rb") as fh:
                raw = fh.read()
            in_bytes += len(raw)
            text = html_to_text(raw)
        elif low.endswith(".pdf"):
            in_bytes += os.path.getsize(f)
            r = subprocess.run(["pdftotext", "-enc", "UTF-8", f, "-"],
                               capture_output=True)
            if r.returncode != 0:
                failed += 1
            text = r.stdout.decode("utf-8", errors="replace")
        else:
            with open(f, "rb") as fh:
                raw = fh.read()
            in_bytes += len(raw)
            text = raw.decode("utf-8", errors="replace")
        t1 = time.perf_counter()
        con.execute("INSERT INTO docs(path, body) VALUES (?, ?)", (f, text))
        t_extract += t1 - t0
        t_insert += time.perf_counter() - t1
        text_bytes += len(text.encode("utf-8"))
    t0 = time.perf_counter()
    con.commit()
    con.close()
    t_commit = time.perf_counter() - t0
    print(f"docs={len(files)} failed={failed} in_bytes={in_bytes} "
          f"text_bytes={text_bytes} extract_s={t_extract:.3f} "
          f"insert_s={t_insert:.3f} commit_s={t_commit:.3f} "
          f"db_bytes={os.path.getsize(db)} sqlite={sqlite3.sqlite_version}")


if __name__ == "__main__":
    main()
