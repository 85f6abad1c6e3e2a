#!/bin/sh
echo "failing"
exit 2
