# make-fixtures.py: how the hand-made fixtures of tests/data/mail were made.
# Run as: python3 make-fixtures.py tests/data/mail (needs the shared corpus
# for the three copied messages).
import base64, os, quopri, shutil, sys
out = sys.argv[1]
C = '/work/shared/corpus/mail/'
def w(name, data):
    if isinstance(data, str): data = data.encode('ascii')
    open(os.path.join(out, name), 'wb').write(data)
def b64w(cs, s): return '=?%s?B?%s?=' % (cs, base64.b64encode(s.encode(cs)).decode())

for src, dst in [('easy-ham-1/00002.9c4069e25e1ef370c078db7ee85ff9ac.eml', 'ham-plain.eml'),
                 ('hard-ham-1/00007.d24e99a602ee7fb442714c0d448cd08e.eml', 'ham-html.eml'),
                 ('easy-ham-1/01137.862bf0c202b134ec11c965d1a46a43a0.eml', 'ham-attachment.eml')]:
    shutil.copy(C + src, os.path.join(out, dst))

# Korean subject, UTF-8 encoded words; body UTF-8 in base64.
body = '안녕하세요. 회의록을 보내 드립니다.\n검색 시스템 arca 시험 메일입니다.\n'
w('korean-utf8.eml',
  'From: %s <kim@example.kr>\r\nTo: Lee <lee@example.kr>\r\n'
  'Subject: %s\r\nDate: Mon, 13 Nov 2023 09:30:00 +0900\r\n'
  'Message-ID: <ko-utf8-1@example.kr>\r\nMIME-Version: 1.0\r\n'
  'Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n'
  % (b64w('UTF-8', '김철수'), b64w('UTF-8', '회의록 공유'),
     base64.encodebytes(body.encode('utf-8')).decode().replace('\n', '\r\n')))
# Korean subject, EUC-KR encoded words; body EUC-KR, 8bit.
w('korean-euckr.eml',
  ('From: %s <park@example.kr>\nTo: kim@example.kr\nCc: Choi <choi@example.kr>\n'
   'Subject: %s\nDate: Tue, 14 Nov 2023 18:05:09 +0900\n'
   'Message-ID: <ko-euckr-2@example.kr>\nIn-Reply-To: <ko-utf8-1@example.kr>\nMIME-Version: 1.0\n'
   'Content-Type: text/plain; charset=EUC-KR\nContent-Transfer-Encoding: 8bit\n\n'
   % (b64w('EUC-KR', '박영희'), b64w('EUC-KR', '답장: 회의록 공유'))).encode('ascii')
  + '잘 받았습니다. 예산 항목을 확인해 주세요.\n'.encode('euc-kr'))
# Raw 8-bit EUC-KR header (no encoded word), body declared EUC-KR.
w('raw8bit-euckr.eml',
  b'From: ' + '정민호'.encode('euc-kr') + b' <jung@example.kr>\nTo: kim@example.kr\nSubject: '
  + '분기 보고서 초안'.encode('euc-kr') +
  b'\nDate: Wed, 15 Nov 2023 08:00:00 +0900\nMIME-Version: 1.0\n'
  b'Content-Type: text/plain; charset="euc-kr"\nContent-Transfer-Encoding: 8bit\n\n'
  + '첨부한 보고서 초안을 검토해 주십시오.\n'.encode('euc-kr'))
# ISO-2022-JP body and subject.
w('iso2022jp.eml',
  ('From: Tanaka <tanaka@example.jp>\nTo: sato@example.jp\nSubject: %s\n'
   'Date: Thu, 16 Nov 2023 10:00:00 +0900\nMIME-Version: 1.0\n'
   'Content-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n\n'
   % b64w('ISO-2022-JP', '会議の議事録')).encode('ascii')
  + '明日の会議は東京で行います。\n'.encode('iso-2022-jp'))
# KOI8-R body, quoted-printable, subject raw 8-bit KOI8-R.
w('koi8r.eml',
  b'From: Ivanov <ivanov@example.ru>\nTo: petrov@example.ru\nSubject: '
  + 'Отчёт за квартал'.encode('koi8-r') +
  b'\nDate: Fri, 17 Nov 2023 12:00:00 +0300\nMIME-Version: 1.0\n'
  b'Content-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: quoted-printable\n\n'
  + quopri.encodestring('Добрый день! Высылаю квартальный отчёт.\n'.encode('koi8-r')))
# multipart/alternative with only an HTML part (quoted-printable).
html = ('<html><head><title>Newsletter</title><style>p {color: red}</style>'
        '<script>var hidden = "scriptword";</script></head><body>'
        '<h1>Autumn Newsletter</h1><p>The library opens on Saturday &amp; Sunday.</p>'
        '<p>Caf\u00e9 prices are unchanged.</p></body></html>\n')
w('html-only.eml',
  'From: News <news@example.org>\nTo: reader@example.org\nSubject: Autumn newsletter\n'
  'Date: Sat, 18 Nov 2023 07:00:00 +0000\nMIME-Version: 1.0\n'
  'Content-Type: multipart/alternative; boundary="alt1"\n\n'
  'This is a multi-part message in MIME format.\n--alt1\n'
  'Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n'
  + quopri.encodestring(html.encode('utf-8')).decode() + '\n--alt1--\n')
# multipart/alternative with plain and HTML: plain wins.
w('alternative.eml',
  'From: Ann <ann@example.org>\nTo: bob@example.org\nSubject: Both kinds\n'
  'Date: Sun, 19 Nov 2023 07:00:00 +0000\nMIME-Version: 1.0\n'
  'Content-Type: multipart/alternative; boundary="b2"\n\n--b2\n'
  'Content-Type: text/plain; charset=us-ascii\n\nplainversionword here\n--b2\n'
  'Content-Type: text/html; charset=us-ascii\n\n<p>htmlversionword here</p>\n--b2--\n')
# Attachments: a base64 text file, an RFC 2231 Korean file name, a
# nameless PNG, and a forwarded message.
png = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==')
notes = 'Minutes of the budget meeting.\nAction: review the quarterly figures.\n'
report = '보고서 본문입니다.\n'
fwd = ('From: Carol <carol@example.org>\nTo: ann@example.org\nSubject: Original forwarded note\n'
       'Date: Mon, 20 Nov 2023 06:00:00 +0000\nMIME-Version: 1.0\n'
       'Content-Type: text/plain; charset=us-ascii\n\nforwardedbodyword in the inner message.\n')
w('attachments.eml',
  'From: Ann <ann@example.org>\nTo: bob@example.org\nSubject: Files for the meeting\n'
  'Date: Mon, 20 Nov 2023 09:15:00 +0100\nMIME-Version: 1.0\n'
  'Content-Type: multipart/mixed; boundary="mix"\n\n--mix\n'
  'Content-Type: text/plain; charset=us-ascii\n\nPlease find the files attached.\n--mix\n'
  'Content-Type: text/plain; charset=us-ascii; name="notes.txt"\n'
  'Content-Disposition: attachment; filename="notes.txt"\nContent-Transfer-Encoding: base64\n\n'
  + base64.encodebytes(notes.encode()).decode() + '--mix\n'
  "Content-Type: text/plain; charset=utf-8\n"
  "Content-Disposition: attachment; filename*=UTF-8''%EB%B3%B4%EA%B3%A0%EC%84%9C.txt\n"
  'Content-Transfer-Encoding: base64\n\n'
  + base64.encodebytes(report.encode()).decode() + '--mix\n'
  'Content-Type: image/png\nContent-Transfer-Encoding: base64\n\n'
  + base64.encodebytes(png).decode() + '--mix\n'
  'Content-Type: message/rfc822\n\n' + fwd + '\n--mix--\n')
# multipart/signed: the signature is not an attachment.
w('signed.eml',
  'From: Dan <dan@example.org>\nTo: bob@example.org\nSubject: Signed note\n'
  'Date: Tue, 21 Nov 2023 07:00:00 +0000\nMIME-Version: 1.0\n'
  'Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="sig"\n\n'
  '--sig\nContent-Type: text/plain; charset=us-ascii\n\nsignedbodyword is here.\n--sig\n'
  'Content-Type: application/pgp-signature; name="signature.asc"\n\n'
  '-----BEGIN PGP SIGNATURE-----\n\niQEzBAEBCAAdFiEE\n-----END PGP SIGNATURE-----\n--sig--\n')
# mboxrd: three messages, quoted From lines.
w('mboxrd.mbox',
  'From ann@example.org  Mon Nov 20 09:15:00 2023\n'
  'From: Ann <ann@example.org>\nSubject: First in the box\nDate: Mon, 20 Nov 2023 09:15:00 +0000\n\n'
  'Line one.\n>From the quoted line.\n>>From a doubly quoted line.\n>Fromage is not quoted.\n\n'
  'From bob@example.org  Tue Nov 21 10:00:00 2023\n'
  'From: Bob <bob@example.org>\nSubject: Second in the box\nDate: Tue, 21 Nov 2023 10:00:00 +0000\n\n'
  'Second body.\nFrom here, no blank line before: not a separator.\n\n'
  'From carol@example.org  Wed Nov 22 11:00:00 2023\n'
  'From: Carol <carol@example.org>\nSubject: Third in the box\nDate: Wed, 22 Nov 2023 11:00:00 +0000\n\n'
  'Third body.\n\n')
