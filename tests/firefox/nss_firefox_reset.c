// SPDX-License-Identifier: Apache-2.0
/* Issue 10: the Firefox/Thunderbird "Change Password" reset of a locked token, driven through
 * NSS exactly as Firefox's PSM does it (FIREFOX-RESET.md 1.2): a fresh NSS database, the module
 * added with SECMOD_AddNewModule (what the SecurityDevices policy and "Load" do), then
 *   PK11_CheckUserPassword(slot, current)   C_Logout + C_Login(CKU_USER) on NSS's R/O default session
 *   PK11_ChangePW(slot, current, new)       C_SetPIN on a new R/W session, then PK11_InitToken
 * with the one-time unblock secret typed as "Current password".
 *
 *   nss_firefox_reset CASE     CASE: reset | wrong-secret | used-up | weak-pin |
 *                              service-down-login | service-down-change | card-pulled |
 *                              slot-events
 *
 * slot-events (issue 20): Firefox's smart-card monitor (SmartCardMonitoringThread) — a thread
 * blocked in SECMOD_WaitForAnyTokenEvent, i.e. C_WaitForSlotEvent — sees the card pulled and
 * re-inserted, each once, and SECMOD_CancelWait (C_Finalize from another thread, then
 * C_Initialize) ends its wait, as at Firefox shutdown.
 *
 * ctest LABELS world: needs scripts/test-world.sh and scripts/unblock-world.sh started
 * (IAS_WORLD_DIR, IAS_UNBLOCK_WORLD_DIR, IAS_UNBLOCK_PORT as set by the scripts or
 * scripts/private-world.sh). IAS_MODULE names ias-pkcs11.so. Exit 0 = every check passed. */
#include <cert.h>
#include <cryptohi.h>
#include <keyhi.h>
#include <nss.h>
#include <pk11pub.h>
#include <plstr.h>
#include <prerror.h>
#include <secerr.h>
#include <secmod.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef IAS_SOURCE_DIR
#error IAS_SOURCE_DIR must name the repository
#endif

#define SERIAL "0010000000123456"
#define OLD_PIN "4711"
#define NEW_PIN "2580"

static int failures;
static const char *test_case = "?";
static char world_dir[1024], work_dir[1200], card_file[1400];
static int password_prompts; /* NSS asked the application for a PIN (Firefox would prompt) */

static void fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "FAIL [%s] %s:%d: ", test_case, file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    ++failures;
}

#define CHECK(cond, ...)                                        \
    do {                                                        \
        if (!(cond)) fail(__FILE__, __LINE__, __VA_ARGS__);     \
    } while (0)

/* A fatal check: nothing after it can be meaningful. */
#define REQUIRE(cond, ...)                                      \
    do {                                                        \
        if (!(cond)) {                                          \
            fail(__FILE__, __LINE__, __VA_ARGS__);              \
            finish();                                           \
        }                                                       \
    } while (0)

static const char *err_name(PRErrorCode e) {
    static char buf[64];
    const char *n = e ? PR_ErrorToName(e) : "no error";
    if (n) return n;
    if (e == -12285) return "SSL_ERROR_NO_CERTIFICATE"; /* libssl's table is not registered here */
    (void)snprintf(buf, sizeof buf, "error %d", (int)e); /* "error -2147483648" fits */
    return buf;
}

static const char *rv_name(SECStatus rv) {
    return rv == SECSuccess ? "SECSuccess" : rv == SECWouldBlock ? "SECWouldBlock" : "SECFailure";
}

/* The call must succeed. */
#define EXPECT_OK(call)                                                                        \
    do {                                                                                       \
        PORT_SetError(0);                                                                      \
        SECStatus rv_ = (call);                                                                \
        PRErrorCode e_ = PORT_GetError();                                                      \
        printf("  %-60s -> %s %s\n", #call, rv_name(rv_), rv_ == SECSuccess ? "" : err_name(e_)); \
        CHECK(rv_ == SECSuccess, "%s failed: %s (%d)", #call, err_name(e_), (int)e_);          \
    } while (0)

/* The call must fail with exactly this NSS error (PORT_GetError). */
#define EXPECT_ERR(call, err)                                                                  \
    do {                                                                                       \
        PORT_SetError(0);                                                                      \
        SECStatus rv_ = (call);                                                                \
        PRErrorCode e_ = PORT_GetError();                                                      \
        printf("  %-60s -> %s %s\n", #call, rv_name(rv_), rv_ == SECSuccess ? "" : err_name(e_)); \
        CHECK(rv_ != SECSuccess, "%s succeeded, expected %s", #call, #err);                    \
        CHECK(rv_ == SECSuccess || e_ == (err), "%s: error %s (%d), expected %s", #call,      \
              err_name(e_), (int)e_, #err);                                                    \
    } while (0)

static PK11SlotInfo *slot;

static void finish(void) {
    if (slot) PK11_FreeSlot(slot);
    slot = NULL;
    if (NSS_IsInitialized()) {
        int type = 0;
        SECMOD_DeleteModule("ias-pkcs11", &type);
        NSS_Shutdown();
    }
    if (failures) {
        fprintf(stderr, "[%s] %d check(s) failed\n", test_case, failures);
        exit(1);
    }
    printf("ok [%s]\n", test_case);
    exit(0);
}

/* Runs a shell command; its stdout (trailing newlines cut) goes to out (may be NULL). */
/* snprintf into an array, fatal when the text does not fit: a cut path or command would name
 * something else. */
static int fits(int n, size_t size) { return n >= 0 && (size_t)n < size; }
#define FORMAT(buf, ...) REQUIRE(fits(snprintf(buf, sizeof buf, __VA_ARGS__), sizeof buf), "too long for " #buf)

static int sh(const char *cmd, char *out, size_t outSize) {
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = 0;
    char buf[512];
    while (fgets(buf, sizeof buf, p)) {
        size_t len = strlen(buf);
        if (out && n + len < outSize) {
            memcpy(out + n, buf, len);
            n += len;
        }
    }
    if (out) {
        out[n] = 0;
        while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r')) out[--n] = 0;
    }
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void world(const char *what) {
    char cmd[1600];
    FORMAT(cmd, "%s 2>&1", what);
    printf("  $ %s\n", what);
    char out[4096];
    int rc = sh(cmd, out, sizeof out);
    REQUIRE(rc == 0, "'%s' failed (%d): %s", what, rc, out);
}

static void service_stop(void) { world(IAS_SOURCE_DIR "/scripts/unblock-world.sh stop"); }
static void service_start(void) { world(IAS_SOURCE_DIR "/scripts/unblock-world.sh start >/dev/null"); }
static void card_remove(void) { world(IAS_SOURCE_DIR "/scripts/test-world.sh remove"); }
static void card_insert(void) {
    char cmd[1600];
    FORMAT(cmd, IAS_SOURCE_DIR "/scripts/test-world.sh insert '%s'", card_file);
    world(cmd);
}

static char *password_callback(PK11SlotInfo *slot, PRBool retry, void *arg) {
    (void)slot;
    (void)retry;
    (void)arg;
    ++password_prompts;  /* the test never needs one: each step logs in explicitly first */
    return NULL;
}

static CK_FLAGS token_flags(void) {
    CK_TOKEN_INFO info;
    memset(&info, 0, sizeof info);
    SECStatus rv = PK11_GetTokenInfo(slot, &info);
    CHECK(rv == SECSuccess, "PK11_GetTokenInfo: %s", err_name(PORT_GetError()));
    return info.flags;
}

static void print_flags(const char *when) {
    CK_FLAGS f = token_flags();
    printf("  token flags %s: 0x%lx%s%s%s%s\n", when, (unsigned long)f,
           (f & CKF_USER_PIN_LOCKED) ? " USER_PIN_LOCKED" : "",
           (f & CKF_USER_PIN_TO_BE_CHANGED) ? " USER_PIN_TO_BE_CHANGED" : "",
           (f & CKF_USER_PIN_FINAL_TRY) ? " FINAL_TRY" : "", (f & CKF_USER_PIN_COUNT_LOW) ? " COUNT_LOW" : "");
}

/* A fresh card with the test serial (PIN 4711), a secret issued for it through the holder
 * API, a fresh NSS database with the module added; returns the secret. */
static void setup(char *secret, size_t secretSize) {
    const char *wd = getenv("IAS_WORLD_DIR");
    FORMAT(world_dir, "%s", wd ? wd : IAS_SOURCE_DIR "/test-world");
    FORMAT(work_dir, "%s/work/firefox-nss-%s", world_dir, test_case);
    FORMAT(card_file, "%s/work/module-unblock/card-" SERIAL ".json", world_dir);

    char cmd[4096], conf[4096];
    FORMAT(cmd, "rm -rf '%s' && mkdir -p '%s/nssdb'", work_dir, work_dir);
    world(cmd);
    world(IAS_SOURCE_DIR "/tests/world/unblock_fixture.sh card " SERIAL " >/dev/null");
    REQUIRE(sh(IAS_SOURCE_DIR "/tests/world/unblock_fixture.sh secret " SERIAL, secret, secretSize) == 0 &&
                strlen(secret) == 22,
            "no secret issued (is scripts/unblock-world.sh started?): '%s'", secret);
    printf("  secret issued: %.4s-****-****-****-**\n", secret);
    REQUIRE(sh(IAS_SOURCE_DIR "/tests/world/unblock_fixture.sh module-conf", conf, sizeof conf) == 0,
            "no module config from the unblock world");

    /* The module reads IAS_PKCS11_CONF when NSS initialises it. */
    char confPath[1400];
    FORMAT(confPath, "%s/ias-pkcs11.conf", work_dir);
    FILE *f = fopen(confPath, "w");
    REQUIRE(f != NULL, "cannot write %s", confPath);
    fprintf(f, "reader_filter = Virtual PCD 00 00\n%s\n", conf);
    REQUIRE(fclose(f) == 0, "cannot write %s", confPath);
    setenv("IAS_PKCS11_CONF", confPath, 1);

    /* A fresh profile database, as Firefox creates one (empty password on the internal token). */
    FORMAT(cmd, "certutil -N -d 'sql:%s/nssdb' --empty-password", work_dir);
    world(cmd);
    char dbdir[1400];
    FORMAT(dbdir, "sql:%s/nssdb", work_dir);
    REQUIRE(NSS_Initialize(dbdir, "", "", SECMOD_DB, 0) == SECSuccess, "NSS_Initialize(%s): %s", dbdir,
            err_name(PORT_GetError()));
    PK11_SetPasswordFunc(password_callback);

    const char *module = getenv("IAS_MODULE");
    REQUIRE(module != NULL, "IAS_MODULE is not set");
    EXPECT_OK(SECMOD_AddNewModule("ias-pkcs11", module, 0, 0));
    SECMODModule *mod = SECMOD_FindModule("ias-pkcs11");
    REQUIRE(mod != NULL && mod->slotCount == 1, "module not loaded or not exactly one slot");
    slot = PK11_ReferenceSlot(mod->slots[0]);
    SECMOD_DestroyModule(mod);
    REQUIRE(PK11_IsPresent(slot), "no token in the slot");
    printf("  token: %s\n", PK11_GetTokenName(slot));
    REQUIRE(PK11_NeedLogin(slot), "token does not need login");
    CHECK(!PK11_NeedUserInit(slot), "token looks uninitialised to NSS (CKF_USER_PIN_INITIALIZED must stay set)");
}

/* The holder mistyped the PIN three times (as in Firefox's login prompt). */
static void lock_token(void) {
    for (int i = 0; i < 3; ++i) EXPECT_ERR(PK11_CheckUserPassword(slot, "0000"), SEC_ERROR_BAD_PASSWORD);
    EXPECT_ERR(PK11_CheckUserPassword(slot, OLD_PIN), SEC_ERROR_LOCKED_PASSWORD);
    CHECK(token_flags() & CKF_USER_PIN_LOCKED, "token not locked after three wrong PINs");
    print_flags("locked");
}

/* The "Change Password" dialog, current = secret: CheckUserPassword then ChangePW. */
static void firefox_change_password(const char *current, const char *newPin) {
    EXPECT_OK(PK11_CheckUserPassword(slot, current));
    CHECK(token_flags() & CKF_USER_PIN_TO_BE_CHANGED, "secret login without CKF_USER_PIN_TO_BE_CHANGED");
    EXPECT_OK(PK11_ChangePW(slot, current, newPin));
}

/* Unlocked, the new PIN logs in, and a signature made through NSS with the token's key
 * verifies against the token's certificate. */
static void expect_unlocked_and_signing(const char *pin) {
    CK_FLAGS f = token_flags();
    CHECK(!(f & (CKF_USER_PIN_LOCKED | CKF_USER_PIN_TO_BE_CHANGED | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_COUNT_LOW)),
          "token flags after the reset: 0x%lx", (unsigned long)f);
    print_flags("after reset");
    EXPECT_OK(PK11_CheckUserPassword(slot, pin));
    CHECK(PK11_IsLoggedIn(slot, NULL), "not logged in with the new PIN");

    CERTCertList *certs = PK11_ListCertsInSlot(slot);
    REQUIRE(certs != NULL, "no certificate on the token: %s", err_name(PORT_GetError()));
    int signedOk = 0;
    for (CERTCertListNode *n = CERT_LIST_HEAD(certs); !CERT_LIST_END(n, certs); n = CERT_LIST_NEXT(n)) {
        if (!n->cert->nickname || !strstr(n->cert->nickname, "Authentication")) continue;
        SECKEYPrivateKey *key = PK11_FindKeyByAnyCert(n->cert, NULL);
        REQUIRE(key != NULL, "PK11_FindKeyByAnyCert(%s): %s", n->cert->nickname, err_name(PORT_GetError()));
        SECKEYPublicKey *pub = CERT_ExtractPublicKey(n->cert);
        REQUIRE(pub != NULL, "no public key in %s", n->cert->nickname);
        SECOidTag alg = SEC_GetSignatureAlgorithmOidTag(SECKEY_GetPrivateKeyType(key), SEC_OID_SHA256);
        static const unsigned char data[] = "issue 10: signed through NSS after a Firefox-style reset";
        SECItem sig = {siBuffer, NULL, 0};
        EXPECT_OK(SEC_SignData(&sig, data, sizeof data, key, alg));
        EXPECT_OK(VFY_VerifyData(data, sizeof data, pub, &sig, alg, NULL));
        /* and a changed message must not verify */
        static const unsigned char other[] = "issue 10: signed through NSS after a Firefox-style resex";
        EXPECT_ERR(VFY_VerifyData(other, sizeof other, pub, &sig, alg, NULL), SEC_ERROR_BAD_SIGNATURE);
        printf("  signed with \"%s\" (%s, %u-byte signature), verified with VFY_VerifyData\n", n->cert->nickname,
               SECOID_FindOIDTagDescription(alg), sig.len);
        signedOk = sig.len > 0;
        SECITEM_FreeItem(&sig, PR_FALSE);
        SECKEY_DestroyPublicKey(pub);
        SECKEY_DestroyPrivateKey(key);
        break;
    }
    CERT_DestroyCertList(certs);
    CHECK(signedOk, "no authentication certificate with a private key signed");
    CHECK(password_prompts == 0, "NSS asked for a password %d time(s)", password_prompts);
}

/* While the secret login is pending, NSS cannot use the private keys. */
static void expect_keys_unusable(void) {
    CERTCertList *certs = PK11_ListCertsInSlot(slot);
    REQUIRE(certs != NULL, "no certificate on the token");
    for (CERTCertListNode *n = CERT_LIST_HEAD(certs); !CERT_LIST_END(n, certs); n = CERT_LIST_NEXT(n)) {
        if (!n->cert->nickname || !strstr(n->cert->nickname, "Authentication")) continue;
        SECKEYPrivateKey *key = PK11_FindKeyByAnyCert(n->cert, NULL);
        if (!key) {
            printf("  pending: PK11_FindKeyByAnyCert -> NULL (%s)\n", err_name(PORT_GetError()));
            break;
        }
        static const unsigned char data[] = "must not be signed";
        SECItem sig = {siBuffer, NULL, 0};
        SECOidTag alg = SEC_GetSignatureAlgorithmOidTag(SECKEY_GetPrivateKeyType(key), SEC_OID_SHA256);
        EXPECT_ERR(SEC_SignData(&sig, data, sizeof data, key, alg), SEC_ERROR_EXPIRED_PASSWORD);
        SECITEM_FreeItem(&sig, PR_FALSE);
        SECKEY_DestroyPrivateKey(key);
        break;
    }
    CERT_DestroyCertList(certs);
}

/* nanosleep, resumed after signals (usleep is obsolescent and takes less than a second). */
static void sleep_ms(long ms) {
    struct timespec left = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
}

/* After a removal and re-insertion NSS re-initialises the token on its own (nssSlot_IsTokenPresent,
 * at most once a second): wait for it as Firefox's next call would. */
static void wait_token_back(void) {
    for (int i = 0; i < 100; ++i) {
        CK_TOKEN_INFO info;
        if (PK11_IsPresent(slot) && PK11_GetTokenInfo(slot, &info) == SECSuccess) {
            sleep_ms(1200);  /* let NSS's presence check see the new card and reopen its session */
            if (PK11_IsPresent(slot)) return;
        }
        sleep_ms(100);
    }
    REQUIRE(0, "token not back after re-insertion");
}

/* Firefox's SmartCardMonitoringThread: waits for token events until the wait fails. */
static struct {
    pthread_mutex_t lock;
    SECMODModule *mod;
    int events;
    int present[8];  /* PK11_IsPresent after each event */
    int ended;
    PRErrorCode endError;
} monitor = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, {0}, 0, 0};

static void *monitor_thread(void *arg) {
    (void)arg;
    for (;;) {
        PK11SlotInfo *s = SECMOD_WaitForAnyTokenEvent(monitor.mod, 0, PR_SecondsToInterval(1));
        if (!s) {
            pthread_mutex_lock(&monitor.lock);
            monitor.endError = PORT_GetError();
            monitor.ended = 1;
            pthread_mutex_unlock(&monitor.lock);
            return NULL;
        }
        const int present = PK11_IsPresent(s) ? 1 : 0;
        PK11_FreeSlot(s);
        pthread_mutex_lock(&monitor.lock);
        if (monitor.events < 8) monitor.present[monitor.events] = present;
        ++monitor.events;
        pthread_mutex_unlock(&monitor.lock);
    }
}

static int monitor_events(void) {
    pthread_mutex_lock(&monitor.lock);
    int n = monitor.events;
    pthread_mutex_unlock(&monitor.lock);
    return n;
}

/* Waits up to 10 s for the monitor to have seen `n` events. */
static void wait_events(int n) {
    for (int i = 0; i < 100 && monitor_events() < n; ++i) sleep_ms(100);
    CHECK(monitor_events() >= n, "the monitor saw %d event(s), expected %d", monitor_events(), n);
}

static void slot_events(void) {
    monitor.mod = SECMOD_FindModule("ias-pkcs11");
    REQUIRE(monitor.mod != NULL, "module not found");
    pthread_t thread = 0;
    REQUIRE(pthread_create(&thread, NULL, monitor_thread, NULL) == 0, "no monitor thread");
    sleep_ms(1500);
    CHECK(monitor_events() == 0, "%d event(s) without a change (C_WaitForSlotEvent repeats itself)", monitor_events());
    card_remove();
    wait_events(1);
    card_insert();
    wait_events(2);
    sleep_ms(1500);
    pthread_mutex_lock(&monitor.lock);
    printf("  monitor: %d event(s), present after each: %d %d\n", monitor.events, monitor.present[0], monitor.present[1]);
    CHECK(monitor.events == 2, "%d events for one removal and one insertion", monitor.events);
    CHECK(monitor.present[0] == 0, "token present after the removal event");
    CHECK(monitor.present[1] == 1, "token absent after the insertion event");
    CHECK(!monitor.ended, "the monitor's wait failed: %s", err_name(monitor.endError));
    pthread_mutex_unlock(&monitor.lock);
    /* Shutdown: SECMOD_CancelWait finalizes the module under the waiting thread (which must come
     * back at once, SEC_ERROR_NO_EVENT) and initialises it again. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    EXPECT_OK(SECMOD_CancelWait(monitor.mod));
    REQUIRE(pthread_join(thread, NULL) == 0, "monitor thread not joined");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    const long ms = (t1.tv_sec - t0.tv_sec) * 1000L + (t1.tv_nsec - t0.tv_nsec) / 1000000L;
    printf("  SECMOD_CancelWait ended the wait in %ld ms (%s)\n", ms, err_name(monitor.endError));
    CHECK(ms < 2000, "the blocked wait took %ld ms to end after C_Finalize", ms);
    CHECK(monitor.endError == SEC_ERROR_NO_EVENT, "wait ended with %s", err_name(monitor.endError));
    SECMOD_DestroyModule(monitor.mod);
    /* The module works again after NSS's re-initialisation. */
    wait_token_back();
    CHECK(!(token_flags() & CKF_USER_PIN_LOCKED), "token flags after re-initialisation");
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s reset|wrong-secret|used-up|weak-pin|service-down-login|"
                        "service-down-change|card-pulled|slot-events\n", argv[0]);
        return 2;
    }
    test_case = argv[1];
    (void)setvbuf(stdout, NULL, _IOLBF, 0); /* line-buffered progress; the default works too */
    char secret[64];
    if (strcmp(test_case, "reset") == 0) {
        setup(secret, sizeof secret);
        lock_token();
        /* A PIN typed as "Current password" while locked: still locked. */
        EXPECT_ERR(PK11_CheckUserPassword(slot, "2580"), SEC_ERROR_LOCKED_PASSWORD);
        EXPECT_OK(PK11_CheckUserPassword(slot, secret));
        CHECK(token_flags() & CKF_USER_PIN_TO_BE_CHANGED, "no CKF_USER_PIN_TO_BE_CHANGED after the secret login");
        CHECK(PK11_IsLoggedIn(slot, NULL), "NSS does not see the restricted login");
        print_flags("secret accepted");
        expect_keys_unusable();
        EXPECT_OK(PK11_ChangePW(slot, secret, NEW_PIN));
        expect_unlocked_and_signing(NEW_PIN);
        /* The old PIN is gone. */
        EXPECT_ERR(PK11_CheckUserPassword(slot, OLD_PIN), SEC_ERROR_BAD_PASSWORD);
        EXPECT_OK(PK11_CheckUserPassword(slot, NEW_PIN));
    } else if (strcmp(test_case, "wrong-secret") == 0) {
        setup(secret, sizeof secret);
        lock_token();
        /* Well-formed but not the issued one: the service refuses it (one of its 3 tries). */
        EXPECT_ERR(PK11_CheckUserPassword(slot, "0000-0000-0000-0000-00"), SEC_ERROR_BAD_PASSWORD);
        /* A typo of the real one: refused locally by the check symbols. */
        char typo[64];
        FORMAT(typo, "%s", secret);
        typo[1] = typo[1] == 'A' ? 'B' : 'A';
        EXPECT_ERR(PK11_CheckUserPassword(slot, typo), SEC_ERROR_BAD_PASSWORD);
        CHECK(token_flags() & CKF_USER_PIN_LOCKED, "token no longer locked");
        CHECK(!(token_flags() & CKF_USER_PIN_TO_BE_CHANGED), "a wrong secret entered the PIN-change login");
        /* ChangePW with a wrong current password (Firefox never gets there, but NSS allows it). */
        EXPECT_ERR(PK11_ChangePW(slot, "0000-0000-0000-0000-00", NEW_PIN), SEC_ERROR_BAD_PASSWORD);
        CHECK(token_flags() & CKF_USER_PIN_LOCKED, "token no longer locked");
        /* The right secret still works (two service tries spent, one left). */
        firefox_change_password(secret, NEW_PIN);
        expect_unlocked_and_signing(NEW_PIN);
    } else if (strcmp(test_case, "used-up") == 0) {
        setup(secret, sizeof secret);
        lock_token();
        firefox_change_password(secret, NEW_PIN);
        expect_unlocked_and_signing(NEW_PIN);
        /* The token locks again; the spent secret is refused by the service (410 used_up). */
        for (int i = 0; i < 3; ++i) EXPECT_ERR(PK11_CheckUserPassword(slot, "0000"), SEC_ERROR_BAD_PASSWORD);
        CHECK(token_flags() & CKF_USER_PIN_LOCKED, "not locked again");
        EXPECT_ERR(PK11_CheckUserPassword(slot, secret), SEC_ERROR_LOCKED_PASSWORD);
        EXPECT_ERR(PK11_ChangePW(slot, secret, "3691"), SEC_ERROR_LOCKED_PASSWORD);
        CHECK(token_flags() & CKF_USER_PIN_LOCKED, "a used-up secret unlocked the token");
        CHECK(!(token_flags() & CKF_USER_PIN_TO_BE_CHANGED), "a used-up secret entered the PIN-change login");
    } else if (strcmp(test_case, "weak-pin") == 0) {
        setup(secret, sizeof secret);
        lock_token();
        EXPECT_OK(PK11_CheckUserPassword(slot, secret));
        /* Firefox has no PIN policy of its own: the module refuses 1234 and 0000 before any
         * card or service work. NSS takes the module's PKCS#11 3.0 interface, so the code is
         * CKR_PIN_TOO_WEAK, which NSS 3.87's pk11err.c does not map: SEC_ERROR_UNKNOWN_PKCS11_ERROR
         * (Firefox shows "Unable to change password." for every error anyway). A wrong length is
         * CKR_PIN_LEN_RANGE -> SEC_ERROR_INVALID_PASSWORD. */
        EXPECT_ERR(PK11_ChangePW(slot, secret, "1234"), SEC_ERROR_UNKNOWN_PKCS11_ERROR);
        EXPECT_ERR(PK11_ChangePW(slot, secret, "0000"), SEC_ERROR_UNKNOWN_PKCS11_ERROR);
        EXPECT_ERR(PK11_ChangePW(slot, secret, "12345"), SEC_ERROR_INVALID_PASSWORD);
        EXPECT_ERR(PK11_ChangePW(slot, secret, "12a4"), SEC_ERROR_INVALID_PASSWORD);
        CK_FLAGS f = token_flags();
        print_flags("after the weak PINs");
        CHECK(f & (CKF_USER_PIN_LOCKED | CKF_USER_PIN_TO_BE_CHANGED), "token neither locked nor pending: 0x%lx",
              (unsigned long)f);
        /* Nothing spent: the same secret then works with a good PIN (the dialog again). */
        firefox_change_password(secret, NEW_PIN);
        expect_unlocked_and_signing(NEW_PIN);
    } else if (strcmp(test_case, "service-down-login") == 0) {
        setup(secret, sizeof secret);
        lock_token();
        service_stop();
        /* CKR_FUNCTION_FAILED: the service is not reachable; nothing is spent. */
        EXPECT_ERR(PK11_CheckUserPassword(slot, secret), SEC_ERROR_PKCS11_FUNCTION_FAILED);
        CHECK(token_flags() & CKF_USER_PIN_LOCKED, "token no longer locked");
        CHECK(!(token_flags() & CKF_USER_PIN_TO_BE_CHANGED), "pending without the service");
        service_start();
        firefox_change_password(secret, NEW_PIN);
        expect_unlocked_and_signing(NEW_PIN);
    } else if (strcmp(test_case, "service-down-change") == 0) {
        setup(secret, sizeof secret);
        lock_token();
        EXPECT_OK(PK11_CheckUserPassword(slot, secret));
        service_stop();
        EXPECT_ERR(PK11_ChangePW(slot, secret, NEW_PIN), SEC_ERROR_PKCS11_FUNCTION_FAILED);
        CK_FLAGS f = token_flags();
        print_flags("after the failed change");
        CHECK(f & CKF_USER_PIN_LOCKED, "card changed without the service: 0x%lx", (unsigned long)f);
        service_start();
        /* The holder presses OK again: the same dialog sequence succeeds. */
        firefox_change_password(secret, NEW_PIN);
        expect_unlocked_and_signing(NEW_PIN);
    } else if (strcmp(test_case, "card-pulled") == 0) {
        setup(secret, sizeof secret);
        lock_token();
        EXPECT_OK(PK11_CheckUserPassword(slot, secret));
        card_remove();
        PORT_SetError(0);
        SECStatus rv = PK11_ChangePW(slot, secret, NEW_PIN);
        PRErrorCode e = PORT_GetError();
        printf("  %-60s -> %s %s\n", "PK11_ChangePW(slot, secret, NEW_PIN) [card pulled]",
               rv_name(rv), rv == SECSuccess ? "" : err_name(e));
        CHECK(rv != SECSuccess, "PK11_ChangePW succeeded without a card");
        CHECK(e == SEC_ERROR_NO_TOKEN || e == SEC_ERROR_TOKEN_NOT_LOGGED_IN || e == SEC_ERROR_BAD_DATA,
              "card pulled: error %s (%d)", err_name(e), (int)e);
        card_insert();
        wait_token_back();
        CK_FLAGS f = token_flags();
        print_flags("after re-insertion");
        CHECK(f & CKF_USER_PIN_LOCKED, "card changed although pulled: 0x%lx", (unsigned long)f);
        CHECK(!(f & CKF_USER_PIN_TO_BE_CHANGED), "the secret login survived the removal");
        firefox_change_password(secret, NEW_PIN);
        expect_unlocked_and_signing(NEW_PIN);
    } else if (strcmp(test_case, "slot-events") == 0) {
        setup(secret, sizeof secret);
        slot_events();
    } else {
        fprintf(stderr, "unknown case %s\n", test_case);
        return 2;
    }
    finish();
    return 0;
}
