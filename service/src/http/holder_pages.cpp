// Holder pages: filled in by the pages step.
#include "http/common.hpp"

namespace ias::service::http {

void installHolderPages(httplib::Server&, Routes&) {}

}  // namespace ias::service::http
