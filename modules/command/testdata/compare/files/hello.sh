#!/bin/sh
# Says what it got and where it ran; touches its first argument.
echo "args: $*"
echo "in: $(pwd)"
touch "$1"
