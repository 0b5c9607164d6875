#!/usr/bin/env bash
# Inserts a fresh copy of the default world-test card (for the C++ world tests).
source "$(dirname "$0")/lib.sh" fresh-card
fresh_card
