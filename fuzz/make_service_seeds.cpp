// SPDX-License-Identifier: Apache-2.0
// fuzz_make_service_seeds OUTDIR: writes the seed inputs of service_api (one file per
// scenario, service_session.hpp format) into OUTDIR and runs each through the same World and
// checks as the fuzz target, verifying the HTTP status every request is expected to get —
// so every endpoint's success and refusal paths are in the corpus and stay valid.
// Not part of CI: run by hand when the API changes
//   cmake --build build/fuzz --target fuzz_make_service_seeds
//   build/fuzz/fuzz/fuzz_make_service_seeds fuzz/corpus/service_api
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "service_session.hpp"

namespace {

struct Step {
    std::string text;
    int status;  // expected; 0 for a directive
};
struct Seed {
    std::string name;
    std::vector<Step> steps;
};

// Header lines and bodies the seeds share (functions: no std::string built at static start-up).
std::string jsonHeader() { return "Content-Type: application/json\n"; }
std::string adminHeader() { return "Authorization: Bearer @ADMIN@\n"; }
std::string cookieHeader() { return "Cookie: __Host-ias-holder=@SESSION@\n"; }
std::string formHeader() { return "Content-Type: application/x-www-form-urlencoded\n"; }

Step post(const std::string& path, const std::string& body, int status, const std::string& headers = jsonHeader()) {
    return {"POST " + path + " HTTP/1.1\nHost: unblock.example.org\n" + headers + "\n" + body, status};
}
Step get(const std::string& path, int status, const std::string& headers = "") {
    return {"GET " + path + " HTTP/1.1\nHost: unblock.example.org\n" + headers + "\n", status};
}
Step raw(const std::string& text, int status) { return {text, status}; }
// A request whose body is sent in two chunks (no placeholders: sizes are exact).
Step chunked(const std::string& path, const std::string& body, int status) {
    const auto hex = [](std::size_t n) {
        std::ostringstream o;
        o << std::hex << n;
        return o.str();
    };
    const std::size_t half = body.size() / 2;
    const std::string sizes[2] = {hex(half), hex(body.size() - half)};
    return {"POST " + path + " HTTP/1.1\nTransfer-Encoding: chunked\n" + jsonHeader() + "\n" + sizes[0] + "\r\n" +
                body.substr(0, half) + "\r\n" + sizes[1] + "\r\n" + body.substr(half) + "\r\n0\r\n\r\n",
            status};
}
Step clock(long long seconds) { return {"!clock " + std::to_string(seconds), 0}; }

Step verify(const std::string& serial, const std::string& secret, int status) {
    return post("/v1/unblock/verify", R"({"serial":")" + serial + R"(","secret":")" + secret + R"("})", status);
}
Step cryptogram(const std::string& ticket, int status, const std::string& challenge = "0102030405060708") {
    return post("/v1/unblock/cryptogram", R"({"ticket":")" + ticket + R"(","challenge":")" + challenge + R"("})", status);
}
Step confirm(const std::string& outcome, int status, int triesAfter = 3) {
    return post("/v1/unblock/confirm",
                R"({"ticket":"@TICKET@","outcome":")" + outcome + R"(","tries_after":)" + std::to_string(triesAfter) + "}",
                status);
}
Step holderAnswers(const std::string& a0, const std::string& a1, int status) {
    return post("/v1/holder/answers", R"({"answers":[")" + a0 + R"(",")" + a1 + R"("]})", status,
                jsonHeader() + "Authorization: Bearer @LINK@\n");
}
Step formAnswers(const std::string& body, int status) { return post("/holder/answers", body, status, formHeader() + cookieHeader()); }

std::string wrongSecret() { return "0000-0000-0000-0000-00"; }  // well-formed, check symbols valid
std::string newCase() {
    return R"({"serial":"99887766","email":"new@example.org","language":"en","questions":[)"
           R"({"question":"Animal ?","answer":"Chat-9"},{"question":"Couleur ?","answer":"Vert-3"}]})";
}

std::vector<Seed> seeds() {
    const std::string multipart =
        "--XyZb\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n@CSRF@\r\n"
        "--XyZb\r\nContent-Disposition: form-data; name=\"a0\"\r\n\r\n@A0@\r\n"
        "--XyZb\r\nContent-Disposition: form-data; name=\"a1\"\r\n\r\n@A1@\r\n--XyZb--\r\n";
    return {
        {"module-verify-cryptogram-confirm",
         {verify("@SERIAL2@", "@SECRET@", 200), cryptogram("@TICKET@", 200), confirm("done", 204),
          verify("@SERIAL2@", "@SECRET@", 410), cryptogram("@TICKET@", 401)}},
        {"module-canonical-secret", {verify("1122334455667788", "@SECRETC@", 200), cryptogram("@TICKET@", 200)}},
        {"module-wrong-secret-until-blocked",
         {verify("@SERIAL2@", wrongSecret(), 401), verify("@SERIAL2@", "not a secret", 401),
          verify("@SERIAL2@", wrongSecret(), 401), verify("@SERIAL2@", "@SECRET@", 410), cryptogram("@TICKET@", 401)}},
        {"module-cryptogram-limit",
         {verify("@SERIAL2@", "@SECRET@", 200), cryptogram("@TICKET@", 200), cryptogram("@TICKET@", 200, "FFFFFFFFFFFFFFFF"),
          cryptogram("@TICKET@", 200), cryptogram("@TICKET@", 410), verify("@SERIAL2@", "@SECRET@", 410)}},
        {"module-confirm-failed-then-done",
         {cryptogram("@TICKET@", 200), confirm("failed", 204, 2), cryptogram("@TICKET@", 200), confirm("done", 204, 3),
          confirm("done", 401)}},
        {"module-bad-requests",
         {post("/v1/unblock/verify", "{}", 400), post("/v1/unblock/verify", "[1,2]", 400),
          post("/v1/unblock/verify", R"({"serial":"XYZ","secret":"a"})", 400), verify("0A0B0C0D", "@SECRET@", 404),
          cryptogram("@TICKET@", 400, "0102"), cryptogram("@TICKET@", 400, "01020304050607zz"),
          cryptogram("00000000", 401), post("/v1/unblock/confirm", R"({"ticket":"@TICKET@","outcome":"maybe"})", 400),
          post("/v1/unblock/confirm", R"({"ticket":"@TICKET@","outcome":"done","tries_after":4294967299})", 400),
          post("/v1/unblock/cryptogram", "{\"ticket\":", 400)}},
        {"module-expiry",
         {clock(601), cryptogram("@TICKET@", 401), verify("@SERIAL2@", "@SECRET@", 200), cryptogram("@TICKET@", 200),
          clock(86400), verify("@SERIAL2@", "@SECRET@", 410)}},
        {"module-rate-limit",
         {verify("AABB", "x", 404), verify("AABB", "x", 404), verify("AABB", "x", 404), verify("AABB", "x", 404),
          verify("AABB", "x", 404), verify("AABB", "x", 404), verify("AABB", "x", 404), verify("AABB", "x", 404),
          verify("AABB", "x", 404), verify("AABB", "x", 404), verify("AABB", "x", 429), {"!ip 77", 0},
          verify("AABB", "x", 429), clock(60), verify("AABB", "x", 404)}},
        {"admin-cases",
         {post("/v1/admin/cases", newCase(), 201, jsonHeader() + adminHeader()), get("/v1/admin/cases", 200, adminHeader()),
          get("/v1/admin/outbox", 200, adminHeader()), post("/v1/admin/cases/@CASE@/close", R"({"reason":"fuzz"})", 204, jsonHeader() + adminHeader()),
          post("/v1/admin/cases/@CASE@/close", "", 404, adminHeader()), get("/v1/admin/revocations", 200, adminHeader()),
          post("/v1/admin/cases/99999999999999999999/close", "", 404, adminHeader()), get("/h/@NEWLINK@", 303),
          get("/holder/questions", 200, cookieHeader())}},
        {"admin-refusals",
         {get("/v1/admin/cases", 401), get("/v1/admin/cases", 401, "Authorization: Bearer wrong\n"),
          post("/v1/admin/cases", newCase(), 401), post("/v1/admin/cases", "{}", 400, jsonHeader() + adminHeader()),
          post("/v1/admin/cases", R"({"serial":"@SERIAL@","email":"a@b","questions":[{"question":"q","answer":"a"}]})", 400,
               jsonHeader() + adminHeader()),
          post("/v1/admin/cases", R"({"serial":"AB","email":"nobody","questions":[{"question":"q","answer":"a"}]})", 400,
               jsonHeader() + adminHeader()),
          post("/v1/admin/cases", R"({"serial":"AB","email":"a@b","language":"de","questions":[]})", 400, jsonHeader() + adminHeader()),
          post("/v1/admin/cases/@CASE2@/close", "not json", 204, adminHeader()), verify("@SERIAL2@", "@SECRET@", 410)}},
        {"holder-api-secret-then-reset",
         {get("/v1/holder/case", 200, "Authorization: Bearer @LINK@\n"), holderAnswers("@A0@", "@A1@", 200),
          get("/v1/holder/case", 410, "Authorization: Bearer @LINK@\n"), verify("@SERIAL@", "@SECRET@", 200),
          cryptogram("@TICKET@", 200, "A1B2C3D4E5F60718"), confirm("done", 204)}},
        {"holder-api-wrong-answers",
         {holderAnswers("@A0@", "wrong", 403), holderAnswers("@A1@", "@A0@", 403), holderAnswers("", "", 410),
          get("/v1/holder/case", 410, "Authorization: Bearer @LINK@\n"), get("/v1/admin/revocations", 200, adminHeader()),
          get("/v1/admin/cases", 200, adminHeader())}},
        {"holder-api-refusals",
         {get("/v1/holder/case", 404), get("/v1/holder/case", 410, "Authorization: Bearer @LINK2@\n"),
          post("/v1/holder/answers", "answers", 400, jsonHeader() + "Authorization: Bearer @LINK@\n"),
          post("/v1/holder/answers", R"({"answers":[1,2]})", 400, jsonHeader() + "Authorization: Bearer @LINK@\n"),
          post("/v1/holder/answers", R"({"answers":["@A0@"]})", 403, jsonHeader() + "Authorization: Bearer @LINK@\n")}},
        {"holder-pages-urlencoded",
         {get("/h/@LINK@?lang=en", 303), get("/holder", 200, cookieHeader()), get("/holder/questions?lang=en", 200, cookieHeader()),
          formAnswers("csrf=@CSRF@&lang=en&a0=@A0@&a1=@A1@", 200), get("/holder", 410, cookieHeader()),
          verify("@SERIAL@", "@SECRET@", 200)}},
        {"holder-pages-multipart",
         {get("/holder/questions", 200, "Cookie: theme=dark; __Host-ias-holder=@SESSION@\n"),
          // The form is urlencoded: a multipart post carries no "csrf" parameter (403 csrf).
          post("/holder/answers", multipart, 403, "Content-Type: multipart/form-data; boundary=XyZb\n" + cookieHeader()),
          verify("@SERIAL@", "@SECRET@", 404)}},
        {"holder-pages-refusals",
         {formAnswers("csrf=0000&a0=@A0@&a1=@A1@", 403), post("/holder/answers", "csrf=@CSRF@&a0=@A0@&a1=@A1@", 401, formHeader()),
          formAnswers("csrf=@CSRF@&a0=x&a1=y", 403), formAnswers("csrf=@CSRF@&a0=@A0@", 403),
          formAnswers("csrf=@CSRF@&a0=@A1@&a1=@A0@", 410), get("/holder", 410, cookieHeader()),
          formAnswers("csrf=@CSRF@&a0=@A0@&a1=@A1@", 410)}},
        {"holder-pages-links-static",
         {get("/h/0000000000000000000000000000000000000000000000000000000000000000", 404), get("/h/@LINK2@", 410),
          get("/h/@LINK@?lang=xx", 303), get("/static/holder.js", 200), get("/static/holder.css", 200),
          raw("HEAD /holder HTTP/1.1\n" + cookieHeader() + "\n", 200), get("/holder?lang=en", 200, cookieHeader()),
          clock(3601), get("/holder", 401, cookieHeader()), clock(86400), get("/h/@LINK@", 410)}},
        {"http-routing",
         {get("/nowhere", 404), raw("PUT /v1/unblock/verify HTTP/1.1\n\n{}", 404), raw("DELETE /v1/admin/cases HTTP/1.1\n\n", 404),
          raw("OPTIONS * HTTP/1.1\n\n", 404), raw("BREW /pot HTTP/1.1\n\n", 400), raw("GET /v1/holder/case\n\n", 400),
          get("/v1/unblock/verify", 404), raw("GET /%76%31/holder/case HTTP/1.1\nAuthorization: Bearer @LINK@\n\n", 200)}},
        {"http-features",
         {raw("POST /v1/unblock/verify HTTP/1.1\nExpect: 100-continue\n" + jsonHeader() +
                  "\n{\"serial\":\"@SERIAL2@\",\"secret\":\"@SECRET@\"}",
              200),
          chunked("/v1/unblock/verify", R"({"serial":"1122334455667788","secret":")" + wrongSecret() + "\"}", 401),
          raw("GET /v1/holder/case HTTP/1.1\nRange: bytes=0-9\nAuthorization: Bearer @LINK@\n\n", 200),
          raw("POST /v1/unblock/verify HTTP/1.1\nContent-Length: 70000\n\n{}", 413),
          raw("GET /v1/admin/cases HTTP/1.1\nX-Request-Id: support-ticket-42\n\n", 401),
          raw("GET /v1/admin/cases HTTP/1.0\nX-Request-Id: @TICKET@\n\n", 401),
          raw("GET /v1/admin/outbox HTTP/1.1\nAccept-Encoding: gzip, br\n" + adminHeader() + "\n", 200)}},
    };
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    (void)std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line-buffered progress; unbuffered is fine too
    int failures = 0;
    for (const Seed& seed : seeds()) {
        std::string text;
        for (const Step& s : seed.steps) text += (text.empty() ? "" : "\n~~~\n") + s.text;
        std::ofstream(std::string(argv[1]) + "/" + seed.name, std::ios::binary) << text;
        ias::fuzz::svc::Session session;
        const auto results = session.run(text, seed.steps.size());
        std::string got;
        for (std::size_t i = 0; i < seed.steps.size(); ++i) {
            const int status = i < results.size() && results[i].request ? results[i].reply.status : 0;
            got += " " + std::to_string(status);
            if (status != seed.steps[i].status) {
                std::fprintf(stderr, "%s step %zu: status %d, expected %d\n", seed.name.c_str(), i + 1, status,
                             seed.steps[i].status);
                ++failures;
            }
        }
        std::printf("%-36s%s\n", seed.name.c_str(), got.c_str());
    }
    return failures == 0 ? 0 : 1;
}
