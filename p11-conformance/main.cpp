// main of p11_conformance: `--env=NAME=VALUE` arguments set the environment first (ctest
// registers the same executable twice, once per module, with these), then GoogleTest runs.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
    int kept = 1;
    for (int i = 1; i < argc; ++i) {
        if (std::strncmp(argv[i], "--env=", 6) == 0) {
            const std::string kv = argv[i] + 6;
            const auto eq = kv.find('=');
            if (eq != std::string::npos) setenv(kv.substr(0, eq).c_str(), kv.substr(eq + 1).c_str(), 1);
            continue;
        }
        argv[kept++] = argv[i];
    }
    argc = kept;
    testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
