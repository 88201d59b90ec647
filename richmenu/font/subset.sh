#!/bin/sh
# Makes the two font subsets the rich menu is drawn with, from Debian's
# fonts-noto-cjk (Noto Sans CJK JP, SIL Open Font License 1.1: see LICENSE),
# with fonttools' pyftsubset. Only the characters of the menu's labels and
# captions (read from ../richmenu.go) are kept, so each file is a few
# kilobytes; TestGlyphs fails when the menu draws a character missing here.
#
#   apt-get install fonts-noto-cjk fonttools && richmenu/font/subset.sh
set -eu
cd "$(dirname "$0")"
text=$(grep -o -e 'Label: "[^"]*"' -e 'Caption: "[^"]*"' ../richmenu.go | cut -d'"' -f2 | tr -d '\n')
echo "subset: $text"
for weight in Bold Regular; do
  pyftsubset /usr/share/fonts/opentype/noto/NotoSansCJK-$weight.ttc --font-number=0 \
    --text="$text" --layout-features='' --no-hinting --desubroutinize \
    --name-IDs='0,1,2,3,4,5,6,13,14' --output-file=NotoSansCJKjp-$weight-subset.otf
done
ls -l NotoSansCJKjp-*-subset.otf
