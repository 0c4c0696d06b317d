/*
 * test_office.c: arca_ix_ooxml and arca_ix_odf.  Every DOCX, ODT, XLSX,
 * ODS, PPTX and ODP of the shared corpus gives its title and known words
 * (Korean, Japanese, Chinese, Russian, English); sheets give one row per
 * line with tab-separated cells under the sheet's name; slides come in
 * order; core.xml and meta.xml fill the metadata.  Packages built here
 * check the details (tabs, breaks, deleted text, shared and inline
 * strings, ODF spaces) and the bounds: a 200 MB zip bomb is refused
 * quickly within bounded memory, as are too many members, DTDs, deep
 * nesting, text past the cap, files that are no zip and encrypted ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>

#include "indexers/indexer-private.h"
#include "indexers/office-private.h"
#include "ix.h"

/* Index DATA with the OOXML or ODF indexer into X (initialised here). */
static arca_status index_mem(int odf, const void *data, size_t len,
                             size_t max_text, unsigned max_depth,
                             arca_extract *x)
{
    arca_blob b = {data, len, odf ? "t.odt" : "t.docx", NULL, NULL};
    arca_limits lim = {.max_text = max_text ? max_text
                                            : ARCA_DEFAULT_MAX_TEXT,
                       .max_depth = max_depth};
    arca_extract_init(x, lim.max_text);
    arca_status rc = odf ? arca_ix_odf(&b, x, &lim)
                         : arca_ix_ooxml(&b, x, &lim);
    assert_non_null(x->text);
    assert_int_equal(strlen(x->text), x->len);
    assert_true(arca_utf8_valid(x->text, x->len));
    assert_true(x->len <= lim.max_text);
    if (rc != ARCA_OK)
        assert_true(x->errmsg[0] != '\0');
    return rc;
}

static int is_odf(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot != NULL && strncmp(dot, ".od", 3) == 0;
}

static void index_path(const char *path, arca_extract *x)
{
    size_t len;
    char *data = read_file(path, &len);
    if (data == NULL)
        fail_msg("cannot read %s", path);
    arca_status rc = index_mem(is_odf(path), data, len, 0, 0, x);
    if (rc != ARCA_OK)
        fail_msg("%s: %s", path, x->errmsg);
    free(data);
}

/* S with each no-break space (U+00A0) made a space, in a static buffer:
 * pandoc writes "3.6.\u00a0Title" where the corpus notes have a space. */
static const char *plain(const char *s)
{
    static char buf[1024];
    size_t n = 0;
    for (; s && *s && n + 1 < sizeof buf; s++) {
        if ((unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0) {
            buf[n++] = ' ';
            s++;
        } else {
            buf[n++] = *s;
        }
    }
    buf[n] = '\0';
    return buf;
}

static void has(const arca_extract *x, const char *what, const char *words)
{
    if (strstr(x->text, words) == NULL)
        fail_msg("%s: no \"%s\" in the text", what, words);
}

/* ---- Building packages in memory ---- */

struct part {
    const char *name, *data;
};

/* A zip of PARTS (deflated) in a malloc'd buffer of *len bytes. */
static unsigned char *make_zip(const struct part *parts, size_t n,
                               size_t *len)
{
    size_t cap = 1 << 20;
    for (size_t i = 0; i < n; i++)
        cap += strlen(parts[i].data) + 256;
    unsigned char *buf = malloc(cap);
    struct archive *a = archive_write_new();
    assert_non_null(buf);
    assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
    assert_int_equal(archive_write_open_memory(a, buf, cap, len),
                     ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        size_t l = strlen(parts[i].data);
        archive_entry_set_pathname(e, parts[i].name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)l);
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        assert_int_equal(archive_write_data(a, parts[i].data, l),
                         (la_ssize_t)l);
        archive_entry_free(e);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    return buf;
}

#define CT "[Content_Types].xml"
#define CT_XML "<?xml version=\"1.0\"?><Types/>"
#define W_NS "xmlns:w=\"http://schemas.openxmlformats.org/" \
             "wordprocessingml/2006/main\""

static arca_status index_parts(int odf, const struct part *parts, size_t n,
                               size_t max_text, unsigned max_depth,
                               arca_extract *x)
{
    size_t len;
    unsigned char *zip = make_zip(parts, n, &len);
    arca_status rc = index_mem(odf, zip, len, max_text, max_depth, x);
    free(zip);
    return rc;
}

/* ---- The corpus ---- */

static const struct doc {
    const char *path, *title, *words[2];
} docs[] = {
    {"en/gimp-using-script-fu-tutorial-extending-text-box",
     "3.6. Extending The Text Box Script",
     {"Modifying The Parameters And The Registration Function",
      "it doesn't make sense to use these functions"}},
    {"en/plug-in-align-layers", "6.27. Align Visible Layers…",
     {"Example image for layer alignment",
      "The “Align Visible Layers” dialog"}},
    {"en/tone-mapping-notes", "3. Use Notes",
     {"photograph of the apple orchard truck",
      "positive-exposure-compensation"}},
    {"ja/gimp-filter-noise-pick", "7.5. つまむ...",
     {"「Common Features」", "The Pick filter replaces each affected pixel"}},
    {"ja/gimp-image-properties", "6.34. 画像の情報",
     {"画像ウィンドウのメニューより", "ピクセルサイズ"}},
    {"ja/script-fu-tile-blur", "3.13. タイル化可能ぼかし...",
     {"境界をぼかす", "This filter is a script-fu and not GEGL-based."}},
    {"ko/become-a-gimp-wizard", "부 II. GIMP 마법사가 되려면?",
     {"새 파일 만들기", "김프에서 이미지 내보내기"}},
    {"ko/gimp-concepts-layer-modes-legacy", "3. Legacy Layer Modes",
     {"그림 8.47. Selecting legacy layer mode", "the equations are also"}},
    {"ko/gimp-first-steps", "3장. 윌버와 함께하는 첫 단계",
     {"기본 도구 상자", "이미지의 크기 바꾸기 (인쇄용)"}},
    {"ko/gimp-tutorial-quickie-flip", "4.8. 이미지 뒤집기",
     {"이미지가 좌우로 뒤집힙니다", "모드 바꾸기"}},
    {"ru/gimp-filter-recursive-transform", "13.8. Рекурсивная трансформация",
     {"этот фильтр рисует", "Измените перспективу"}},
    {"ru/gimp-layer-alpha-selection-subtract", "7.41. Вычесть из выделения",
     {"Эта команда находится в меню изображения", "Прозрачность"}},
    {"ru/gimp-tool-paintbrush", "3.7. Кисть",
     {"3.7.1. Активация инструмента", "карандаш переходит в режим"}},
    {"zh_CN/bibliography", "参考文献",
     {"每日天文图片", "Grokking the Gimp. Carey Bunks."}},
    {"zh_CN/gfdl-addendum", "12. 授权附录：如何使用本授权用于你的文件",
     {"请将with... Texts这一行以这些文本取代", "前封面文字"}},
};

static void test_corpus_documents(void **state)
{
    (void)state;
    const char *c = corpus();
    if (c == NULL)
        skip();
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        for (int odf = 0; odf < 2; odf++) {
            char path[8192];
            arca_extract x;
            snprintf(path, sizeof path, "%s/office/%s.%s", c, docs[i].path,
                     odf ? "odt" : "docx");
            index_path(path, &x);
            if (x.title == NULL ||
                strcmp(plain(x.title), docs[i].title) != 0)
                fail_msg("%s: title %s", path, x.title ? x.title : "(none)");
            has(&x, path, docs[i].words[0]);
            has(&x, path, docs[i].words[1]);
            /* Paragraphs are lines: the title heads the text. */
            assert_memory_equal(plain(x.text), docs[i].title,
                                strlen(docs[i].title));
            assert_non_null(x.date);
            assert_string_equal(x.date, "2026-11-29");
            assert_non_null(field(&x, "created"));
            arca_extract_free(&x);
        }
    }
}

static void test_libreoffice_documents(void **state)
{
    (void)state;
    const char *c = corpus();
    if (c == NULL)
        skip();
    for (int odf = 0; odf < 2; odf++) {
        char path[8192];
        arca_extract x;
        snprintf(path, sizeof path,
                 "%s/office/libreoffice-authored/a-text.%s", c,
                 odf ? "odt" : "docx");
        index_path(path, &x);
        has(&x, path, "This is a text from LibreOffice Writer...\n"
                      "A test only.");
        has(&x, path, "This is the second page.");
        assert_string_equal(x.author, "Eriberto Mota");
        assert_string_equal(x.date, "2020-09-11");
        assert_non_null(field(&x, "modified"));
        assert_memory_equal(field(&x, "modified"), "2020-09-11T22:25:36",
                            19);
        if (!odf)
            assert_string_equal(x.lang, "pt-BR");
        arca_extract_free(&x);
    }
}

static void check_sotu_index(const char *path)
{
    arca_extract x;
    index_path(path, &x);
    /* The sheet's name heads it; a row is a line, cells split by tabs. */
    assert_memory_equal(x.text, "sotu-index\nyear\tpresident\tparty\tfile\n",
                        strlen("sotu-index\nyear\tpresident\tparty\tfile\n"));
    has(&x, path, "\n1790\tGeorge Washington\tnone\t"
                  "sotu/1790_george_washington_n.txt\n");
    has(&x, path, "\n1906\tTheodore Roosevelt\tRepublican\t");
    assert_string_equal(field(&x, "sheets"), "1");
    arca_extract_free(&x);
}

static void test_corpus_spreadsheets(void **state)
{
    (void)state;
    const char *c = corpus();
    char path[8192];
    arca_extract x;
    if (c == NULL)
        skip();
    snprintf(path, sizeof path, "%s/office/spreadsheets/sotu-index.xlsx", c);
    check_sotu_index(path);
    snprintf(path, sizeof path, "%s/office/spreadsheets/sotu-index.ods", c);
    check_sotu_index(path);
    for (int odf = 0; odf < 2; odf++) {
        snprintf(path, sizeof path,
                 "%s/office/spreadsheets/gimp-help-titles.%s", c,
                 odf ? "ods" : "xlsx");
        index_path(path, &x);
        has(&x, path, "page\ten\tko\tja\tzh_CN\tru\n");
        has(&x, path, "11. 本授权的未来改版");
        has(&x, path, "11. ПЕРЕСМОТР УСЛОВИЙ ЛИЦЕНЗИИ");
        arca_extract_free(&x);
    }
    snprintf(path, sizeof path, "%s/office/spreadsheets/mail-index.xlsx", c);
    index_path(path, &x);
    has(&x, path, "\tThu, 22 Aug 2002 15:01:33 +0100\t\"Martin Adamson\" "
                  "<martin@srv0.ems.ed.ac.uk>\t[zzzzteana] Meaningful "
                  "sentences\n");
    arca_extract_free(&x);
}

static void check_pptx(const char *path)
{
    arca_extract x;
    index_path(path, &x);
    assert_string_equal(x.title, "3장. 윌버와 함께하는 첫 단계");
    assert_string_equal(field(&x, "slides"), "5");
    has(&x, path, "차례\n김프의 기본 개념들\n김프의 주요 화면");
    /* Slides in order: slide 2's text comes before slide 4's. */
    char *a = strstr(x.text, "2.2. 이미지 창");
    char *b = strstr(x.text, "4.2. 이미지의 크기 바꾸기 (화면용)");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a < b);
    arca_extract_free(&x);
}

static void check_odp(const char *path)
{
    arca_extract x;
    index_path(path, &x);
    assert_string_equal(x.title, "State of the Union Address (1906)");
    assert_string_equal(field(&x, "slides"), "7");
    has(&x, path, "Excerpt 1\nTo the Senate and House of Representatives:");
    has(&x, path, "No Congress in our time has done more good work");
    arca_extract_free(&x);
}

static void test_corpus_presentations(void **state)
{
    (void)state;
    const char *c = corpus();
    char path[8192];
    if (c == NULL)
        skip();
    snprintf(path, sizeof path,
             "%s/office/presentations/ko-gimp-first-steps.pptx", c);
    check_pptx(path);
    snprintf(path, sizeof path,
             "%s/office/presentations/sotu-1906_theodore_roosevelt_r.odp", c);
    check_odp(path);
}

/* ---- The shipped fixtures (always present) ---- */

static void test_fixtures(void **state)
{
    (void)state;
    char path[8192];
    arca_extract x;
    snprintf(path, sizeof path, "%s/office/gimp-first-steps.docx",
             testdata());
    index_path(path, &x);
    assert_string_equal(x.title, "3장. 윌버와 함께하는 첫 단계");
    assert_string_equal(x.lang, "ko");
    has(&x, path, "원하는 개체만 선택하여 분리하기");
    arca_extract_free(&x);

    snprintf(path, sizeof path, "%s/office/gimp-tool-paintbrush.odt",
             testdata());
    index_path(path, &x);
    assert_string_equal(x.title, "3.7. Кисть");
    has(&x, path, "3.7.1. Активация инструмента");
    arca_extract_free(&x);

    snprintf(path, sizeof path, "%s/office/ko-gimp-first-steps.pptx",
             testdata());
    check_pptx(path);
    snprintf(path, sizeof path,
             "%s/office/sotu-1906_theodore_roosevelt_r.odp", testdata());
    check_odp(path);
    snprintf(path, sizeof path, "%s/office/sotu-index.xlsx", testdata());
    check_sotu_index(path);

    snprintf(path, sizeof path, "%s/office/gimp-help-titles.ods", testdata());
    index_path(path, &x);
    has(&x, path, "gimp-help-titles\npage\ten\tko\tja\tzh_CN\tru\n");
    has(&x, path, "11. ПЕРЕСМОТР УСЛОВИЙ ЛИЦЕНЗИИ");
    assert_string_equal(field(&x, "sheets"), "1");
    arca_extract_free(&x);
}

/* ---- Details, on packages built here ---- */

static void test_docx_details(void **state)
{
    (void)state;
    arca_extract x;
    const struct part parts[] = {
        {CT, CT_XML},
        {"docProps/core.xml",
         "<cp:coreProperties xmlns:cp=\"c\" xmlns:dc=\"d\" "
         "xmlns:dcterms=\"t\"><dc:title> Das Buch </dc:title>"
         "<dc:creator>김철수</dc:creator><dc:subject>Testing</dc:subject>"
         "<cp:keywords>alpha, beta</cp:keywords>"
         "<dc:description>About it</dc:description>"
         "<cp:lastModifiedBy>Ivan</cp:lastModifiedBy>"
         "<dcterms:created>2021-03-04T05:06:07Z</dcterms:created>"
         "<dcterms:modified>2022-01-02T00:00:00Z</dcterms:modified>"
         "</cp:coreProperties>"},
        {"word/document.xml",
         "<w:document " W_NS "><w:body>"
         "<w:p><w:r><w:t>One</w:t></w:r><w:r><w:tab/><w:t>two</w:t>"
         "</w:r><w:r><w:br/><w:t xml:space=\"preserve\">three </w:t>"
         "<w:t>&amp; four</w:t></w:r></w:p>"
         "<w:p><w:pPr><w:tabs><w:tab w:val=\"left\" w:pos=\"720\"/>"
         "</w:tabs></w:pPr><w:del><w:r><w:delText>gone</w:delText></w:r></w:del>"
         "<w:r><w:instrText>HYPERLINK x</w:instrText><w:t>kept</w:t>"
         "</w:r></w:p>"
         "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>c1</w:t></w:r></w:p>"
         "<w:p><w:r><w:t>p2</w:t></w:r></w:p></w:tc>"
         "<w:tc><w:p><w:r><w:t>c2</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
         "</w:body></w:document>"},
        {"word/header1.xml",
         "<w:hdr " W_NS "><w:p><w:r><w:t>Header text</w:t></w:r></w:p>"
         "</w:hdr>"},
        {"word/footnotes.xml",
         "<w:footnotes " W_NS "><w:footnote><w:p><w:r><w:t>A footnote"
         "</w:t></w:r></w:p></w:footnote></w:footnotes>"},
    };
    assert_int_equal(index_parts(0, parts, sizeof parts / sizeof parts[0],
                                 0, 0, &x),
                     ARCA_OK);
    /* The body, then headers, footnotes ... each after a blank line. */
    assert_memory_equal(x.text, "One\ttwo\nthree & four\nkept\nc1 p2\tc2\n\n",
                        strlen("One\ttwo\nthree & four\nkept\nc1 p2\tc2\n\n"));
    assert_null(strstr(x.text, "gone"));
    assert_null(strstr(x.text, "HYPERLINK"));
    has(&x, "docx", "Header text");
    has(&x, "docx", "A footnote");
    assert_string_equal(x.title, "Das Buch");
    assert_string_equal(x.author, "김철수");
    assert_string_equal(x.keywords, "alpha, beta");
    assert_string_equal(x.description, "About it");
    assert_string_equal(x.date, "2021-03-04");
    assert_string_equal(field(&x, "subject"), "Testing");
    assert_string_equal(field(&x, "modified"), "2022-01-02T00:00:00Z");
    assert_string_equal(field(&x, "modified_by"), "Ivan");
    arca_extract_free(&x);
}

static void test_xlsx_details(void **state)
{
    (void)state;
    arca_extract x;
    const struct part parts[] = {
        {CT, CT_XML},
        {"xl/workbook.xml",
         "<workbook><sheets><sheet name=\"Первый\" r:id=\"rId1\"/>"
         "<sheet name=\"Second\" r:id=\"rId2\"/></sheets></workbook>"},
        {"xl/sharedStrings.xml",
         "<sst><si><t>plain</t></si><si><r><t>rich </t></r><r><t>text</t>"
         "</r></si><si><t>漢字</t><rPh><t>かんじ</t></rPh></si></sst>"},
        /* Some writers (the OpenXML SDK) use a prefix. */
        {"xl/worksheets/sheet10.xml",
         "<x:worksheet xmlns:x=\"u\"><x:sheetData><x:row><x:c t=\"s\">"
         "<x:v>2</x:v></x:c></x:row></x:sheetData></x:worksheet>"},
        {"xl/worksheets/sheet2.xml",
         "<worksheet><sheetData><row><c t=\"s\"><v>0</v></c><c><v>3.5</v>"
         "</c><c t=\"b\"><v>1</v></c><c t=\"s\"><v>99</v></c></row>"
         "<row><c/><c t=\"inlineStr\"><is><t>inline</t></is></c>"
         "<c t=\"s\"><v>1</v></c></row></sheetData></worksheet>"},
    };
    assert_int_equal(index_parts(0, parts, sizeof parts / sizeof parts[0],
                                 0, 0, &x),
                     ARCA_OK);
    /* sheet2 before sheet10; an unknown shared string index is dropped. */
    assert_string_equal(x.text, "Первый\nplain\t3.5\tTRUE\ninline\trich text"
                                "\n\nSecond\n漢字");
    assert_string_equal(field(&x, "sheets"), "2");
    arca_extract_free(&x);
}

static void test_pptx_details(void **state)
{
    (void)state;
    arca_extract x;
    const struct part parts[] = {
        {CT, CT_XML},
        {"ppt/slides/slide11.xml",
         "<p:sld xmlns:p=\"p\" xmlns:a=\"a\"><a:p><a:r><a:t>Last</a:t></a:r>"
         "</a:p></p:sld>"},
        {"ppt/slides/slide9.xml",
         "<p:sld xmlns:p=\"p\" xmlns:a=\"a\"><a:p><a:r><a:t>First</a:t>"
         "</a:r><a:br/><a:r><a:t>slide</a:t></a:r></a:p></p:sld>"},
        {"ppt/notesSlides/notesSlide1.xml",
         "<p:notes xmlns:p=\"p\" xmlns:a=\"a\"><a:p><a:r><a:t>Speaker "
         "notes</a:t></a:r></a:p></p:notes>"},
        {"ppt/slideLayouts/slideLayout1.xml",
         "<p:sldLayout xmlns:p=\"p\" xmlns:a=\"a\"><a:p><a:r><a:t>Layout"
         "</a:t></a:r></a:p></p:sldLayout>"},
    };
    assert_int_equal(index_parts(0, parts, sizeof parts / sizeof parts[0],
                                 0, 0, &x),
                     ARCA_OK);
    assert_string_equal(x.text, "First\nslide\n\nLast\n\nSpeaker notes");
    assert_string_equal(field(&x, "slides"), "2");
    arca_extract_free(&x);
}

#define ODF_NS "xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:" \
               "office:1.0\" xmlns:text=\"urn:oasis:names:tc:" \
               "opendocument:xmlns:text:1.0\" xmlns:table=\"urn:oasis:" \
               "names:tc:opendocument:xmlns:table:1.0\" " \
               "xmlns:meta=\"m\" xmlns:dc=\"d\""

static void test_odf_details(void **state)
{
    (void)state;
    arca_extract x;
    const struct part parts[] = {
        {"mimetype", "application/vnd.oasis.opendocument.text"},
        {"meta.xml",
         "<office:document-meta " ODF_NS "><office:meta>"
         "<dc:title>Заголовок</dc:title>"
         "<meta:initial-creator>Ana</meta:initial-creator>"
         "<dc:creator>Bo</dc:creator><meta:keyword>one</meta:keyword>"
         "<meta:keyword>two</meta:keyword>"
         "<meta:creation-date>2019-12-31T23:00:00</meta:creation-date>"
         "<dc:date>2020-01-01T10:00:00</dc:date>"
         "</office:meta></office:document-meta>"},
        {"content.xml",
         "<office:document-content " ODF_NS "><office:automatic-styles>"
         "<text:p>style junk</text:p></office:automatic-styles>"
         "<office:body><office:text>"
         "<text:sequence-decls><text:sequence-decl text:name=\"x\"/>"
         "</text:sequence-decls>"
         "<text:h>Heading</text:h>"
         "<text:p>a<text:s text:c=\"3\"/>b<text:tab/>c<text:line-break/>"
         "d <text:span>span</text:span>\n   collapsed</text:p>"
         "<text:tracked-changes><text:p>deleted</text:p>"
         "</text:tracked-changes>"
         "<table:table table:name=\"T1\"><table:table-row>"
         "<table:table-cell><text:p>x1</text:p><text:p>x2</text:p>"
         "</table:table-cell><table:table-cell/><table:table-cell>"
         "<text:p>y</text:p></table:table-cell></table:table-row>"
         "</table:table></office:text></office:body>"
         "</office:document-content>"},
    };
    assert_int_equal(index_parts(1, parts, sizeof parts / sizeof parts[0],
                                 0, 0, &x),
                     ARCA_OK);
    assert_string_equal(x.text, "Heading\na   b\tc\nd span collapsed\n\n"
                                "T1\nx1 x2\ty");
    assert_string_equal(x.title, "Заголовок");
    assert_string_equal(x.author, "Ana");
    assert_string_equal(x.keywords, "one, two");
    assert_string_equal(x.date, "2019-12-31");
    assert_string_equal(field(&x, "modified"), "2020-01-01T10:00:00");
    assert_string_equal(field(&x, "modified_by"), "Bo");
    arca_extract_free(&x);
}

/* ---- Refusals and bounds ---- */

static void test_not_zip(void **state)
{
    (void)state;
    arca_extract x;
    char path[8192];
    size_t len;
    snprintf(path, sizeof path, "%s/bad/not-a-zip.docx", testdata());
    char *data = read_file(path, &len);
    assert_non_null(data);
    for (int odf = 0; odf < 2; odf++) {
        assert_int_equal(index_mem(odf, data, len, 0, 0, &x), ARCA_EFORMAT);
        assert_non_null(strstr(x.errmsg, "not a zip archive"));
        arca_extract_free(&x);
    }
    free(data);

    assert_int_equal(index_mem(0, "", 0, 0, 0, &x), ARCA_EFORMAT);
    arca_extract_free(&x);

    /* An OLE2 file: an encrypted OOXML package or a legacy binary. */
    static const unsigned char ole2[512] = {0xD0, 0xCF, 0x11, 0xE0,
                                            0xA1, 0xB1, 0x1A, 0xE1};
    assert_int_equal(index_mem(0, ole2, sizeof ole2, 0, 0, &x),
                     ARCA_EUNSUPPORTED);
    assert_non_null(strstr(x.errmsg, "OLE2"));
    arca_extract_free(&x);

    /* A zip that holds no document. */
    snprintf(path, sizeof path, "%s/bad/path-traversal.zip", testdata());
    data = read_file(path, &len);
    assert_non_null(data);
    assert_int_equal(index_mem(0, data, len, 0, 0, &x), ARCA_EFORMAT);
    assert_non_null(strstr(x.errmsg, "not an OOXML document"));
    arca_extract_free(&x);
    assert_int_equal(index_mem(1, data, len, 0, 0, &x), ARCA_EFORMAT);
    assert_non_null(strstr(x.errmsg, "not an OpenDocument file"));
    arca_extract_free(&x);
    free(data);
}

static void test_truncated(void **state)
{
    (void)state;
    arca_extract x;
    char path[8192];
    size_t len;
    snprintf(path, sizeof path, "%s/office/gimp-first-steps.docx",
             testdata());
    char *data = read_file(path, &len);
    assert_non_null(data);
    /* Cut anywhere: a clear failure, never a crash. */
    for (size_t cut = 1; cut < len; cut += len / 23) {
        arca_status rc = index_mem(0, data, cut, 0, 0, &x);
        assert_int_equal(rc, ARCA_EFORMAT);
        arca_extract_free(&x);
    }
    /* A damaged byte inside the deflated document. */
    data[len / 2] ^= 0x55;
    arca_status rc = index_mem(0, data, len, 0, 0, &x);
    assert_true(rc == ARCA_EFORMAT || rc == ARCA_OK);
    arca_extract_free(&x);
    free(data);
}

static void test_bad_xml(void **state)
{
    (void)state;
    arca_extract x;
    struct part parts[] = {
        {CT, CT_XML},
        {"word/document.xml", "<w:document " W_NS "><w:p><w:t>x</w:p>"},
    };
    assert_int_equal(index_parts(0, parts, 2, 0, 0, &x), ARCA_EFORMAT);
    assert_non_null(strstr(x.errmsg, "word/document.xml"));
    assert_non_null(strstr(x.errmsg, "not well-formed"));
    arca_extract_free(&x);

    /* A DTD (here, a billion laughs) is refused before any expansion. */
    parts[1].data =
        "<?xml version=\"1.0\"?><!DOCTYPE w [<!ENTITY a \"aaaaaaaaaa\">"
        "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
        "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
        "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">"
        "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">"
        "<!ENTITY f SYSTEM \"file:///etc/passwd\">]>"
        "<w:document " W_NS "><w:p><w:t>&e;&e;&e;&f;</w:t></w:p>"
        "</w:document>";
    assert_int_equal(index_parts(0, parts, 2, 0, 0, &x), ARCA_EFORMAT);
    if (strstr(x.errmsg, "DTD") == NULL)
        fail_msg("%s", x.errmsg);
    assert_null(strstr(x.text, "root:"));
    arca_extract_free(&x);
}

static void test_depth_and_size(void **state)
{
    (void)state;
    arca_extract x;
    enum { DEEP = 2000 };
    size_t cap = DEEP * 32 + 256;
    char *doc = malloc(cap), *p = doc;
    assert_non_null(doc);
    p += sprintf(p, "<w:document " W_NS "><w:p><w:t>shallow</w:t></w:p>");
    for (int i = 0; i < DEEP; i++)
        p += sprintf(p, "<w:sdt>");
    p += sprintf(p, "<w:t>deep</w:t>");
    for (int i = 0; i < DEEP; i++)
        p += sprintf(p, "</w:sdt>");
    sprintf(p, "</w:document>");
    const struct part parts[] = {{CT, CT_XML}, {"word/document.xml", doc}};
    assert_int_equal(index_parts(0, parts, 2, 0, 64, &x), ARCA_OK);
    assert_true(x.truncated);
    assert_string_equal(x.text, "shallow");
    arca_extract_free(&x);
    free(doc);

    /* Text past the cap is cut at a character boundary. */
    char big[4096];
    strcpy(big, "<w:document " W_NS "><w:p><w:t>");
    for (int i = 0; i < 200; i++)
        strcat(big, "가나");
    strcat(big, "</w:t></w:p></w:document>");
    const struct part parts2[] = {{CT, CT_XML}, {"word/document.xml", big}};
    assert_int_equal(index_parts(0, parts2, 2, 100, 0, &x), ARCA_OK);
    assert_true(x.truncated);
    assert_int_equal(x.len, 99);
    arca_extract_free(&x);
}

static long peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* A DOCX whose document.xml inflates to SIZE bytes of spaces. */
static unsigned char *make_spaces_docx(size_t size, size_t *len)
{
    size_t cap = size / 100 + (1 << 20), chunk = 1 << 20;
    unsigned char *buf = malloc(cap);
    char *spaces = malloc(chunk);
    struct archive *a = archive_write_new();
    struct archive_entry *e = archive_entry_new();
    assert_non_null(buf);
    assert_non_null(spaces);
    memset(spaces, ' ', chunk);
    memcpy(spaces, "<w:document>", 12);
    assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
    assert_int_equal(archive_write_zip_set_compression_deflate(a),
                     ARCHIVE_OK);
    assert_int_equal(archive_write_open_memory(a, buf, cap, len),
                     ARCHIVE_OK);
    archive_entry_set_pathname(e, CT);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_size(e, (la_int64_t)strlen(CT_XML));
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    archive_write_data(a, CT_XML, strlen(CT_XML));
    archive_entry_clear(e);
    archive_entry_set_pathname(e, "word/document.xml");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_size(e, (la_int64_t)size);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    for (size_t done = 0; done < size; done += chunk) {
        size_t n = size - done < chunk ? size - done : chunk;
        assert_int_equal(archive_write_data(a, spaces, n), (la_ssize_t)n);
        spaces[0] = ' ';
        memset(spaces, ' ', 12);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    archive_entry_free(e);
    free(spaces);
    return buf;
}

static void test_zip_bomb(void **state)
{
    (void)state;
    arca_extract x;
    size_t len;
    unsigned char *zip = make_spaces_docx((size_t)200 << 20, &len);
    assert_true(len < ((size_t)2 << 20));
    long before = peak_rss_kib();
    clock_t t0 = clock();
    assert_int_equal(index_mem(0, zip, len, 0, 0, &x), ARCA_ELIMIT);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    long grown = peak_rss_kib() - before;
    assert_non_null(strstr(x.errmsg, "zip bomb"));
    assert_non_null(strstr(x.errmsg, "word/document.xml"));
    assert_true(secs < 5.0);
    assert_true(grown < 128 * 1024);
    arca_extract_free(&x);
    free(zip);

    /* Highly compressible but small: under the floor, it is read. */
    zip = make_spaces_docx((size_t)3 << 20, &len);
    assert_int_equal(index_mem(0, zip, len, 0, 0, &x), ARCA_EFORMAT);
    assert_non_null(strstr(x.errmsg, "not well-formed"));
    arca_extract_free(&x);
    free(zip);
}

/* Many members, each under the floor, that together are a bomb. */
static void test_many_small_bombs(void **state)
{
    (void)state;
    arca_extract x;
    enum { N = 40, SIZE = 3 << 20 };
    struct part parts[N + 1];
    char names[N][40];
    char *spaces = malloc(SIZE + 1);
    assert_non_null(spaces);
    memset(spaces, ' ', SIZE);
    spaces[SIZE] = '\0';
    parts[0] = (struct part){CT, CT_XML};
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "ppt/slides/slide%d.xml", i + 1);
        parts[i + 1] = (struct part){names[i], spaces};
    }
    long before = peak_rss_kib();
    assert_int_equal(index_parts(0, parts, N + 1, 0, 0, &x), ARCA_ELIMIT);
    assert_non_null(strstr(x.errmsg, "zip bomb"));
    assert_true(peak_rss_kib() - before < 128 * 1024);
    arca_extract_free(&x);
    free(spaces);
}

/* A member compressed with a method other than store and deflate. */
static void test_other_method(void **state)
{
    (void)state;
    arca_extract x;
    size_t len;
    struct archive *a = archive_write_new();
    struct archive_entry *e = archive_entry_new();
    unsigned char *buf = malloc(8192);
    const char *doc = "<w:document/>";
    assert_non_null(buf);
    assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
    assert_int_equal(archive_write_zip_set_compression_store(a), ARCHIVE_OK);
    assert_int_equal(archive_write_open_memory(a, buf, 8192, &len),
                     ARCHIVE_OK);
    archive_entry_set_pathname(e, "word/document.xml");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_size(e, (la_int64_t)strlen(doc));
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    archive_write_data(a, doc, strlen(doc));
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    archive_entry_free(e);
    /* Mark the member as bzip2 (12) in its central directory entry. */
    unsigned char *cd = memmem(buf, len, "PK\x01\x02", 4);
    assert_non_null(cd);
    cd[10] = 12;
    assert_int_equal(index_mem(0, buf, len, 0, 0, &x), ARCA_EUNSUPPORTED);
    assert_non_null(strstr(x.errmsg, "compression method 12"));
    arca_extract_free(&x);
    free(buf);
}

/* The container limits of arca_limits are the ones in force. */
static void test_custom_limits(void **state)
{
    (void)state;
    char path[8192];
    size_t len;
    arca_extract x;
    snprintf(path, sizeof path, "%s/office/ko-gimp-first-steps.pptx",
             testdata());
    char *data = read_file(path, &len);
    assert_non_null(data);
    arca_blob b = {(const unsigned char *)data, len, "t.pptx", NULL, NULL};
    arca_limits lim = {.max_text = ARCA_DEFAULT_MAX_TEXT, .max_members = 10};
    arca_extract_init(&x, lim.max_text);
    assert_int_equal(arca_ix_ooxml(&b, &x, &lim), ARCA_ELIMIT);
    assert_non_null(strstr(x.errmsg, "members (limit 10)"));
    arca_extract_free(&x);

    lim = (arca_limits){.max_text = ARCA_DEFAULT_MAX_TEXT,
                        .max_member = 1000};
    arca_extract_init(&x, lim.max_text);
    assert_int_equal(arca_ix_ooxml(&b, &x, &lim), ARCA_ELIMIT);
    assert_non_null(strstr(x.errmsg, "inflates past 1000 bytes"));
    arca_extract_free(&x);

    lim = (arca_limits){.max_text = ARCA_DEFAULT_MAX_TEXT,
                        .max_expanded = 5000};
    arca_extract_init(&x, lim.max_text);
    assert_int_equal(arca_ix_ooxml(&b, &x, &lim), ARCA_ELIMIT);
    assert_non_null(strstr(x.errmsg, "in all"));
    arca_extract_free(&x);
    free(data);
}

static void test_member_count(void **state)
{
    (void)state;
    arca_extract x;
    enum { N = 10001 };
    struct part *parts = calloc(N, sizeof *parts);
    char (*names)[32] = calloc(N, sizeof *names);
    assert_non_null(parts);
    assert_non_null(names);
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "m/%d", i);
        parts[i].name = names[i];
        parts[i].data = "";
    }
    parts[0].name = CT;
    parts[0].data = CT_XML;
    assert_int_equal(index_parts(0, parts, N, 0, 0, &x), ARCA_ELIMIT);
    assert_non_null(strstr(x.errmsg, "members"));
    arca_extract_free(&x);
    /* One fewer is fine (an empty presentation). */
    assert_int_equal(index_parts(0, parts, N - 1, 0, 0, &x), ARCA_OK);
    arca_extract_free(&x);
    free(parts);
    free(names);
}

static void test_encrypted_odf(void **state)
{
    (void)state;
    arca_extract x;
    const struct part parts[] = {
        {"mimetype", "application/vnd.oasis.opendocument.text"},
        {"META-INF/manifest.xml",
         "<manifest:manifest xmlns:manifest=\"m\"><manifest:file-entry "
         "manifest:full-path=\"content.xml\"><manifest:encryption-data/>"
         "</manifest:file-entry></manifest:manifest>"},
        {"content.xml", "\x8f\x01 not xml, encrypted bytes"},
    };
    assert_int_equal(index_parts(1, parts, 3, 0, 0, &x), ARCA_EUNSUPPORTED);
    assert_non_null(strstr(x.errmsg, "password"));
    arca_extract_free(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_documents),
        cmocka_unit_test(test_libreoffice_documents),
        cmocka_unit_test(test_corpus_spreadsheets),
        cmocka_unit_test(test_corpus_presentations),
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_docx_details),
        cmocka_unit_test(test_xlsx_details),
        cmocka_unit_test(test_pptx_details),
        cmocka_unit_test(test_odf_details),
        cmocka_unit_test(test_not_zip),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_bad_xml),
        cmocka_unit_test(test_depth_and_size),
        cmocka_unit_test(test_zip_bomb),
        cmocka_unit_test(test_many_small_bombs),
        cmocka_unit_test(test_other_method),
        cmocka_unit_test(test_custom_limits),
        cmocka_unit_test(test_member_count),
        cmocka_unit_test(test_encrypted_odf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
