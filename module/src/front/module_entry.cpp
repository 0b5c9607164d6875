// SPDX-License-Identifier: Apache-2.0
// The shared object is the whole-archive link of ias_module_core; this file only anchors it.
