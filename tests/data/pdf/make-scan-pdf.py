# Writes scan.pdf and mixed-scan.pdf: scanned pages with no text layer.
# scan.pdf is one page holding scan-ko-en-parallel.jpg (Korean and English)
# as it is (DCTDecode); mixed-scan.pdf has a text page, a page holding
# scan-mixed-titles.png (its IDAT data as it is: FlateDecode with the PNG
# predictors) and another text page.  Each image fills its page at 300 dpi.
# Usage: python3 make-scan-pdf.py CORPUS_DIR/images/ocr
import struct, sys, zlib

src = sys.argv[1] if len(sys.argv) > 1 else '.'

def jpeg_size(b):
    i = 2
    while i + 9 < len(b):
        m, n = b[i + 1], struct.unpack('>H', b[i + 2:i + 4])[0]
        if 0xC0 <= m <= 0xCF and m not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack('>HH', b[i + 5:i + 9])
            return w, h, b[i + 9]
        i += 2 + n
    raise SystemExit('no JPEG frame header')

def jpeg_image(path):
    b = open(path, 'rb').read()
    w, h, comps = jpeg_size(b)
    cs = {1: '/DeviceGray', 3: '/DeviceRGB'}[comps]
    d = ('<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s '
         '/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>' % (w, h, cs, len(b)))
    return w, h, d.encode() + b'\nstream\n' + b + b'\nendstream'

def png_image(path):
    b = open(path, 'rb').read()
    assert b[:8] == b'\x89PNG\r\n\x1a\n'
    i, idat = 8, b''
    while i < len(b):
        n = struct.unpack('>I', b[i:i + 4])[0]
        kind, data = b[i + 4:i + 8], b[i + 8:i + 8 + n]
        if kind == b'IHDR':
            w, h, depth, ctype, _, _, lace = struct.unpack('>IIBBBBB', data)
            assert ctype == 0 and lace == 0, 'grey, not interlaced'
        elif kind == b'IDAT':
            idat += data
        i += 12 + n
    zlib.decompress(idat)   # check it
    d = ('<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray '
         '/BitsPerComponent %d /Filter /FlateDecode /DecodeParms << /Predictor 15 '
         '/Colors 1 /BitsPerComponent %d /Columns %d >> /Length %d >>'
         % (w, h, depth, depth, w, len(idat)))
    return w, h, d.encode() + b'\nstream\n' + idat + b'\nendstream'

def stream(c):
    return b'<< /Length %d >>\nstream\n' % len(c) + c + b'\nendstream'

def write(name, pages, title):
    # pages: ('text', [lines]) or ('image', (w, h, object))
    objs = {1: b'<< /Type /Catalog /Pages 2 0 R >>',
            3: b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
            4: ('<< /Title (%s) /Creator (make-scan-pdf.py) /Producer (hand-written PDF) '
                '/CreationDate (D:20261129120000Z) >>' % title).encode()}
    kids, n = [], 5
    for kind, what in pages:
        page, content = n, n + 1
        if kind == 'text':
            ops = ['BT /F1 12 Tf 36 96 Td 16 TL'] + ['(%s) Tj T*' % l for l in what] + ['ET']
            objs[content] = stream('\n'.join(ops).encode())
            objs[page] = ('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] '
                          '/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>'
                          % content).encode()
            n += 2
        else:
            w, h, img = what
            pw, ph = w * 72 / 300, h * 72 / 300
            objs[n + 2] = img
            objs[content] = stream(('q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q' % (pw, ph)).encode())
            objs[page] = ('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] '
                          '/Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>'
                          % (pw, ph, n + 2, content)).encode()
            n += 3
        kids.append(page)
    objs[2] = ('<< /Type /Pages /Kids [%s] /Count %d >>'
               % (' '.join('%d 0 R' % k for k in kids), len(kids))).encode()
    out = bytearray(b'%PDF-1.4\n%\xe2\xe3\xcf\xd3\n')
    offs = {}
    for k in sorted(objs):
        offs[k] = len(out)
        out += b'%d 0 obj\n' % k + objs[k] + b'\nendobj\n'
    x = len(out)
    out += b'xref\n0 %d\n0000000000 65535 f \n' % (max(objs) + 1)
    for k in range(1, max(objs) + 1):
        out += b'%010d 00000 n \n' % offs[k]
    out += (b'trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n'
            % (max(objs) + 1, x))
    open(name, 'wb').write(out)

write('scan.pdf', [('image', jpeg_image(src + '/scan-ko-en-parallel.jpg'))],
      'A scanned page')
write('mixed-scan.pdf',
      [('text', ['Page one: the text layer comes first.']),
       ('image', png_image(src + '/scan-mixed-titles.png')),
       ('text', ['Page three: the text layer comes last.'])],
      'Text, a scan, text')
