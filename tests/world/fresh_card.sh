#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Inserts a fresh copy of the default world-test card (for the C++ world tests).
source "$(dirname "$0")/lib.sh" fresh-card
fresh_card
