// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <string>

#include "apdu_test_util.hpp"
#include "ias/protocol/api.hpp"

using namespace ias::apdu;
using namespace ias::protocol;

using ias::apdu::test::str;

TEST(ProtocolApi, ErrorNamesAndStatusesMatchTheTable) {
    struct Row { ApiError e; const char* name; int status; };
    const Row rows[] = {
        {ApiError::WrongSecret, "wrong_secret", 401}, {ApiError::UsedUp, "used_up", 410},
        {ApiError::Expired, "expired", 410},          {ApiError::Blocked, "blocked", 410},
        {ApiError::NoCase, "no_case", 404},           {ApiError::BadTicket, "bad_ticket", 401},
        {ApiError::Limit, "limit", 410},              {ApiError::BadRequest, "bad_request", 400},
        {ApiError::RateLimited, "rate_limited", 429},
    };
    for (const Row& r : rows) {
        EXPECT_STREQ(toString(r.e), r.name);
        EXPECT_EQ(httpStatus(r.e), r.status);
        EXPECT_EQ(apiErrorFromString(r.name), r.e);
    }
    EXPECT_FALSE(apiErrorFromString("nope").has_value());
}

TEST(ProtocolApi, VerifyRoundTrip) {
    VerifyRequest req{"9250001000000012345f", secureCopy(std::string_view("ABCD-EFGH"))};
    const SecureBytes text = toJson(req);
    const VerifyRequest back = parseVerifyRequest(str(text));
    EXPECT_EQ(back.serial, "9250001000000012345F");
    EXPECT_EQ(str(back.secret), "ABCD-EFGH");

    VerifyResponse resp{secureCopy(std::string_view("t0k")), 600};
    const VerifyResponse r2 = parseVerifyResponse(str(toJson(resp)));
    EXPECT_EQ(str(r2.ticket), "t0k");
    EXPECT_EQ(r2.expiresIn, 600);
}

TEST(ProtocolApi, CryptogramAndConfirmRoundTrip) {
    CryptogramRequest c{secureCopy(std::string_view("tk")), fromHex("0102030405060708")};
    const CryptogramRequest c2 = parseCryptogramRequest(str(toJsonSecure(c)));
    EXPECT_EQ(c2.challenge, c.challenge);
    EXPECT_EQ(str(c2.ticket), "tk");
    const Bytes cg(24, 0xAB);
    EXPECT_EQ(parseCryptogramResponse(toJson(CryptogramResponse{cg})).cryptogram, cg);

    ConfirmRequest f{secureCopy(std::string_view("tk")), ConfirmOutcome::Done, 3};
    const ConfirmRequest f2 = parseConfirmRequest(str(toJsonSecure(f)));
    EXPECT_EQ(f2.outcome, ConfirmOutcome::Done);
    EXPECT_EQ(f2.triesAfter, 3);

    ErrorBody e{ApiError::WrongSecret, 2, "req-1"};
    const ErrorBody e2 = parseErrorBody(toJson(e));
    EXPECT_EQ(e2.error, ApiError::WrongSecret);
    EXPECT_EQ(e2.triesLeft, 2);
    EXPECT_EQ(e2.requestId, "req-1");
}

TEST(ProtocolApi, MalformedBodiesAreBadRequestsWithoutValues) {
    const char* bodies[] = {
        "", "[]", "{", R"({"serial":"12"})", R"({"serial":"XYZ1","secret":"CANARY-SECRET"})",
        R"({"serial":"123","secret":"CANARY-SECRET"})", R"({"serial":12,"secret":"CANARY-SECRET"})",
    };
    for (const char* b : bodies) {
        try {
            (void)parseVerifyRequest(b);
            ADD_FAILURE() << "accepted";
        } catch (const ApiException& e) {
            EXPECT_EQ(e.error(), ApiError::BadRequest);
            EXPECT_EQ(std::string(e.what()).find("CANARY"), std::string::npos);
        }
    }
    EXPECT_THROW(parseCryptogramRequest(R"({"ticket":"t","challenge":"0102"})"), ApiException);
    EXPECT_THROW(parseCryptogramRequest(R"({"ticket":"t","challenge":"zz02030405060708"})"), ApiException);
    EXPECT_THROW(parseConfirmRequest(R"({"ticket":"t","outcome":"maybe"})"), ApiException);
    EXPECT_THROW(parseConfirmRequest(R"({"ticket":"t","outcome":"done","tries_after":"3"})"), ApiException);
}

TEST(ProtocolApi, SecretIsEscapedInJson) {
    VerifyRequest req{"12", secureCopy(std::string_view("a\"b\\c"))};
    EXPECT_EQ(str(parseVerifyRequest(str(toJson(req))).secret), "a\"b\\c");
}

// fuzz/corpus/secret/regressions/hex-with-spaces: the hex fields were checked on their text
// length only, so separators fromHex skips ("0102 0304 ...") gave a short challenge/cryptogram.
TEST(ProtocolApi, HexFieldsWithSeparatorsAreRejected) {
    EXPECT_THROW(parseCryptogramResponse(R"({"cryptogram": "00000000000000000 00000000000000000 000000000000"})"),
                 ApiException);
    EXPECT_THROW(parseCryptogramRequest(R"({"ticket": "t", "challenge": "0102030405-0607"})"), ApiException);
    EXPECT_EQ(parseCryptogramRequest(R"({"ticket": "t", "challenge": "0102030405060708"})").challenge.size(), 8u);
}

// Integer fields: nlohmann's get<int>() narrowed 64-bit values (4294967299 -> 3, which then
// passed the range check) and wrapped unsigned ones. Every such number is a clear 400 now.
TEST(ProtocolApi, IntegerFieldsOutOfTheirRangeAreBadRequests) {
    const std::string confirm = R"({"ticket":"t","outcome":"done","tries_after":)";
    for (const char* n : {"4294967299", "-4294967293", "18446744073709551615", "99999999999999999999999", "3.0", "1e1",
                          "16", "-2", "null", "true", "[3]"}) {
        try {
            (void)parseConfirmRequest(confirm + n + "}");
            ADD_FAILURE() << "accepted tries_after " << n;
        } catch (const ApiException& e) {
            EXPECT_EQ(e.error(), ApiError::BadRequest);
            EXPECT_NE(std::string(e.what()).find("tries_after"), std::string::npos) << e.what();
        }
    }
    EXPECT_EQ(parseConfirmRequest(confirm + "-1}").triesAfter, -1);
    EXPECT_EQ(parseConfirmRequest(confirm + "15}").triesAfter, 15);
    EXPECT_EQ(parseConfirmRequest(R"({"ticket":"t","outcome":"failed"})").triesAfter, -1) << "optional";

    for (const char* n : {"4294967896", "0", "-600", "600.5", "86401", "18446744073709551615"})
        EXPECT_THROW(parseVerifyResponse(std::string(R"({"ticket":"t","expires_in":)") + n + "}"), ApiException) << n;
    EXPECT_EQ(parseVerifyResponse(R"({"ticket":"t","expires_in":600})").expiresIn, 600);

    for (const char* n : {"4294967298", "-1", "2.0", "4"})
        EXPECT_THROW(parseErrorBody(std::string(R"({"error":"wrong_secret","tries_left":)") + n + "}"), ApiException)
            << n;
    EXPECT_EQ(parseErrorBody(R"({"error":"wrong_secret","tries_left":0})").triesLeft, 0);
    EXPECT_FALSE(parseErrorBody(R"({"error":"blocked"})").triesLeft.has_value());
}
