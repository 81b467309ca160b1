#!/bin/sh
# Allows, but prints something that is not the protocol's JSON.
cat > /dev/null
echo 'welcome, friend <html>'
exit 0
