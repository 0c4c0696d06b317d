# Writes metadata.pdf: three pages (text, no text, text) and a full Info dictionary.
def utf16(s): return '<FEFF' + s.encode('utf-16-be').hex().upper() + '>'
def content(lines):
    ops = ['BT /F1 14 Tf 72 720 Td 18 TL']
    for l in lines: ops.append('(%s) Tj T*' % l)
    ops.append('ET')
    return '\n'.join(ops).encode()
objs = {}
objs[1] = b'<< /Type /Catalog /Pages 2 0 R >>'
objs[2] = b'<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >>'
page = '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 9 0 R >> >> /Contents %d 0 R >>'
objs[3] = (page % 6).encode(); objs[4] = (page % 7).encode(); objs[5] = (page % 8).encode()
c1 = content(['Arca fixture: the first page has text.', 'Quarterly report on preservation of records.'])
c2 = b'0 0 1 rg 72 72 468 648 re f'   # a filled rectangle, no text: a scan
c3 = content(['The third page says goodbye.', 'Keyword: xylophone'])
for n, c in ((6, c1), (7, c2), (8, c3)):
    objs[n] = b'<< /Length %d >>\nstream\n' % len(c) + c + b'\nendstream'
objs[9] = b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'
objs[10] = ('<< /Title %s /Author (Arca Test Suite) /Subject (Fixture for the PDF indexer) '
            '/Keywords (pdf, poppler, fixture) /Creator (gen.py) /Producer (hand-written PDF) '
            '/CreationDate (D:20231213100000+09\'00\') >>' % utf16('아카이브 시험 문서')).encode()
out = bytearray(b'%PDF-1.4\n%\xe2\xe3\xcf\xd3\n')
offs = {}
for n in sorted(objs):
    offs[n] = len(out)
    out += b'%d 0 obj\n' % n + objs[n] + b'\nendobj\n'
x = len(out)
out += b'xref\n0 %d\n0000000000 65535 f \n' % (len(objs) + 1)
for n in sorted(objs): out += b'%010d 00000 n \n' % offs[n]
out += b'trailer\n<< /Size %d /Root 1 0 R /Info 10 0 R >>\nstartxref\n%d\n%%%%EOF\n' % (len(objs) + 1, x)
open('metadata.pdf', 'wb').write(out)
