// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "holder_api.hpp"

namespace ias::tools {

namespace {
const char* kSupport =
    R"("support":{"email":"support@example.org","hours":"lun.-jeu.","phone":"08 92 23 02 52","web":"https://s"})";
std::string str(const apdu::SecureBytes& b) { return {b.begin(), b.end()}; }
}  // namespace

TEST(HolderApi, CaseReply) {
    const std::string body = std::string(R"({"expires_in":86399,"issuer":"CA","language":"fr",)") +
                             R"("questions":["Ville de naissance ?","Nom de votre premier animal ?"],)" +
                             R"("serial":"0010000000123456",)" + kSupport + R"(,"tries_left":3})";
    const CaseInfo c = parseCaseReply(body);
    EXPECT_EQ(c.serial, "0010000000123456");
    ASSERT_EQ(c.questions.size(), 2u);
    EXPECT_EQ(c.questions[0], "Ville de naissance ?");
    EXPECT_EQ(c.triesLeft, 3);
    EXPECT_EQ(c.expiresIn, 86399);
    EXPECT_EQ(c.support.phone, "08 92 23 02 52");
    EXPECT_THROW(parseCaseReply("{}"), HolderApiError);
    EXPECT_THROW(parseCaseReply("not json"), HolderApiError);
}

// Numbers beyond their range are refused, not narrowed (4294967299 became 3 with get<int>).
TEST(HolderApi, OutOfRangeNumbersInRepliesAreRefused) {
    const std::string head = R"({"issuer":"CA","language":"fr","questions":["Q ?"],"serial":"00",)";
    for (const char* bad : {R"("expires_in":86399,"tries_left":4294967299})", R"("expires_in":86399,"tries_left":2.0})",
                            R"("expires_in":86399,"tries_left":-1})", R"("expires_in":18446744073709551615,"tries_left":3})",
                            R"("expires_in":86401,"tries_left":3})", R"("expires_in":"1","tries_left":3})"})
        EXPECT_THROW(parseCaseReply(head + bad), HolderApiError) << bad;
    EXPECT_EQ(parseCaseReply(head + R"("expires_in":0,"tries_left":0})").triesLeft, 0);
    const auto r = refusalFromReply(403, R"({"error":"wrong_answers","tries_left":4294967296})", "R");
    EXPECT_EQ(r.kind(), HolderRefusal::WrongAnswers) << "an absurd tries_left is ignored, not read as 0";
    EXPECT_FALSE(r.triesLeft().has_value());
}

TEST(HolderApi, Refusals) {
    auto r = refusalFromReply(403, std::string(R"({"error":"wrong_answers","tries_left":2,)") + kSupport + "}", "R1");
    EXPECT_EQ(r.kind(), HolderRefusal::WrongAnswers);
    EXPECT_EQ(r.triesLeft(), 2);
    EXPECT_EQ(r.support().email, "support@example.org");
    EXPECT_EQ(refusalFromReply(403, R"({"error":"wrong_answers","tries_left":0})", "R").kind(), HolderRefusal::Blocked);
    EXPECT_EQ(refusalFromReply(410, R"({"error":"blocked"})", "R").kind(), HolderRefusal::Blocked);
    EXPECT_EQ(refusalFromReply(410, R"({"error":"expired"})", "R").kind(), HolderRefusal::Expired);
    EXPECT_EQ(refusalFromReply(410, R"({"error":"used_up"})", "R").kind(), HolderRefusal::UsedUp);
    EXPECT_EQ(refusalFromReply(404, R"({"error":"no_case"})", "R").kind(), HolderRefusal::NoCase);
    EXPECT_EQ(refusalFromReply(429, R"({"error":"rate_limited"})", "R").kind(), HolderRefusal::Unreachable);
    EXPECT_EQ(refusalFromReply(500, "", "R").kind(), HolderRefusal::Unreachable);
    EXPECT_EQ(refusalFromReply(400, "garbage", "R").kind(), HolderRefusal::Unexpected);
}

TEST(HolderApi, AnswersJsonEscapedExactBytes) {
    std::vector<apdu::SecureBytes> a;
    a.push_back(apdu::secureCopy(std::string_view("Lyon")));
    a.push_back(apdu::secureCopy(std::string_view("R\"e\\x\tÉ")));
    EXPECT_EQ(str(answersRequestJson(a)), "{\"answers\":[\"Lyon\",\"R\\\"e\\\\x\\u0009É\"]}");
    EXPECT_EQ(str(answersRequestJson({})), "{\"answers\":[]}");
}

TEST(HolderApi, SecretFromReply) {
    const std::string body = R"({"expires_in":86400,"secret":"7KQ2-M9XD-4T1V-HB8R-5Z","serial":"00","tries":3})";
    const auto s = secretFromAnswersReply(apdu::ByteView(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()));
    EXPECT_EQ(str(s), "7KQ2-M9XD-4T1V-HB8R-5Z");
    const std::string none = R"({"serial":"00"})";
    EXPECT_THROW(
        secretFromAnswersReply(apdu::ByteView(reinterpret_cast<const std::uint8_t*>(none.data()), none.size())),
        HolderApiError);
}

}  // namespace ias::tools
