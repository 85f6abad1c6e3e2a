#!/bin/bash
# Fake kURL @NAME@: ferry never runs it; the fake bundle carries it so that
# the bundle's layout is the real one.
echo >&2 "fake kURL: @NAME@ is not implemented by the test bundle"
exit 1
