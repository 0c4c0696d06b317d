/*
 * fuzz-db.h: a small collection for the targets that query one
 * (fuzz-query, fuzz-http), made once per process in a temporary folder
 * and removed at exit: records in English, Korean, Chinese, Japanese,
 * Russian and Mongolian, with dates, boards, tags, attachments, a
 * declared keyword field and text field (config.lua), and synonyms.
 */
#ifndef ARCA_FUZZ_DB_H
#define ARCA_FUZZ_DB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arca-private.h"

static char fuzz_dir[4096];

static void fuzz_db_remove(void)
{
    char err[256];
    if (fuzz_dir[0])
        arca_remove_tree(fuzz_dir, err, sizeof err);
}

static void fuzz_die(const char *what, const char *why)
{
    fprintf(stderr, "fuzz: %s: %s\n", what, why);
    fuzz_db_remove();
    exit(1);
}

/* Write TEXT to DIR/NAME. */
static void fuzz_write(const char *dir, const char *name, const char *text,
                       int mode)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
        fuzz_die(path, "cannot write");
    if (mode && chmod(path, (mode_t)mode) != 0)
        fuzz_die(path, "cannot chmod");
}

static const char fuzz_config[] =
    "return {\n"
    "  fields = { docno = \"keyword\", summary = \"text\" },\n"
    "  synonyms = { {\"Gyeongju\", \"경주\", \"慶州\", \"Кёнджу\"},\n"
    "               {\"ROK\", \"South Korea\", \"대한민국\"} },\n"
    "}\n";

/* The collection's folder: made, filled and open-able on return. */
static const char *fuzz_collection(void)
{
    static const char *const tags_en[] = {"history", "union"};
    static const char *const tags_ko[] = {"포럼", "news"};
    static const char *const extra_en[] = {"docno", "A-17", "summary",
                                           "the annual message"};
    static const char *const extra_ko[] = {"docno", "KR-2023-12",
                                           "summary", "경주 포럼 요약"};
    arca_attachment_in att_ko[] = {
        {NULL, "1.txt", "경주시 보문관광단지에서 열리는 포럼 일정표", 0},
        {NULL, "agenda.html",
         "<html><head><title>Agenda</title></head><body><p>Opening "
         "session, battery industry, 배터리 산업</p></body></html>", 0},
    };
    for (size_t i = 0; i < sizeof att_ko / sizeof att_ko[0]; i++)
        att_ko[i].len = strlen(att_ko[i].data);
    const arca_record_in recs[] = {
        {.id = "sotu-1862", .title = "State of the Union 1862",
         .date = "1862-12-01", .author = "Abraham Lincoln",
         .board = "Speeches", .lang = "en", .source = "sotu/1862.txt",
         .tags = tags_en, .ntags = 2, .extra = extra_en, .nextra = 2,
         .body = "Fellow-citizens of the Senate and House of "
                 "Representatives: since your last annual assembling "
                 "another year of health and bountiful harvests has "
                 "passed. The union of these States is perpetual."},
        {.id = "near-2023-12-13-forum", .title = "경주 포럼 2023 개최 안내",
         .date = "2023-12-13", .author = "관리자", .board = "News",
         .tags = tags_ko, .ntags = 2, .extra = extra_ko, .nextra = 2,
         .body = "동북아지역자치단체연합 경주 포럼이 경상북도 경주시에서 "
                 "개최되었습니다. 대한민국과 몽골, 러시아, 일본, 중국의 "
                 "지방정부 대표들이 참석했습니다.",
         .attachments = att_ko, .nattachments = 2},
        {.id = "zh-2021", .title = "東北亞地區地方政府聯合會", .date = "2021",
         .board = "News", .lang = "zh",
         .body = "東北亞地區地方政府聯合會在慶州舉行會議，討論環境與經濟合作。"},
        {.id = "ja-2020-05", .title = "北東アジア地域自治体連合",
         .date = "2020-05", .author = "事務局", .board = "Notice",
         .body = "北東アジア地域自治体連合の総会が開催されました。"
                 "ＡＢＣ１２３の全角文字も含みます。"},
        {.id = "ru-forum", .title = "Форум в Кёнджу", .date = "2019-07-02",
         .author = "Иванов", .board = "Новости",
         .body = "Региональные правительства Северо-Восточной Азии "
                 "провели форум. Участники обсуждали экономику."},
        {.id = "mn-2018", .title = "Монгол Улсын бүс нутгийн хамтын ажиллагаа",
         .date = "2018-09-10", .board = "News", .lang = "mn",
         .body = "Зүүн хойд Азийн бүс нутгийн засаг захиргааны холбооны "
                 "чуулга уулзалт Улаанбаатар хотод болов. Өвөрмөц "
                 "үүрэг гүйцэтгэсэн."},
        {.id = "cafe-1999", .title = "Café crème: Übermensch naïveté",
         .date = "1999-01-31", .author = "Zoë Ångström", .board = "Misc",
         .body = "Ｆｕｌｌ－ｗｉｄｔｈ and ﾊﾝｶｸ forms, ligatures ﬁ ﬂ, "
                 "and e\xcc\x81 (combining) must search as one form."},
    };
    char err[1024], id[256];
    arca_db *db = NULL;
    const char *tmp = getenv("TMPDIR");

    if (fuzz_dir[0])
        return fuzz_dir;
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/arca-fuzz.XXXXXX",
             tmp && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(fuzz_dir) == NULL)
        fuzz_die(fuzz_dir, "cannot make a temporary folder");
    atexit(fuzz_db_remove);
    if (arca_db_init(fuzz_dir, err, sizeof err) != ARCA_OK)
        fuzz_die("arca_db_init", err);
    fuzz_write(fuzz_dir, "config.lua", fuzz_config, 0);
    if (arca_db_open(fuzz_dir, ARCA_WRITE, &db, err, sizeof err) != ARCA_OK)
        fuzz_die("arca_db_open", err);
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) {
        arca_record_in r = recs[i];
        r.body_len = strlen(r.body);
        if (arca_db_add(db, &r, id, sizeof id) != ARCA_OK)
            fuzz_die(r.id, arca_db_errmsg(db));
    }
    arca_db_close(db);
    return fuzz_dir;
}

#endif /* ARCA_FUZZ_DB_H */
