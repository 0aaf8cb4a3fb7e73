# 50-getfattr.sh: getfattr -d shows the OMERO metadata of an image and a
# dataset, and images/<id>.png is the same file.
shared_mount
say "== 5. getfattr -d shows the OMERO metadata"
F="$CB/Mitosis/mitosis_01.dv.png"
timeout 30 getfattr -d "$F" >"$ART/getfattr-mitosis_01.txt" 2>&1
cat "$ART/getfattr-mitosis_01.txt" >>"$LOG"
attr() { sed -n "s/^user\.omero\.$1=\"\(.*\)\"$/\1/p" "$ART/getfattr-mitosis_01.txt"; }
check "5. user.omero.type=\"Image\"" test "$(attr type)" = Image
ID=$(attr id)
check "5. user.omero.id is a number ($ID)" grep -qxE '[0-9]+' <<<"$ID"
read -r w h _ <<<"$(timeout 30 identify -format '%w %h' "$F[0]")"
check "5. user.omero.size ($(attr size)) starts with the PNG's $w $h and has 5 fields" \
	bash -c '[[ "$1" =~ ^$2\ $3\ [0-9]+\ [0-9]+\ [0-9]+$ ]]' _ "$(attr size)" "$w" "$h"
for a in owner group pixels_type channels physical_size; do
	check "5. user.omero.$a present ($(attr "$a"))" test -n "$(attr "$a")"
done
check "5. user.omero.url names the image ($(attr url))" grep -qE "(image|show=image)-?$ID\b" <<<"$(attr url)"
check "5. images/$ID.png has the same bytes and id" bash -c 'cmp -s "$1" "$2" && [ "$(getfattr --only-values -n user.omero.id "$2")" = "$3" ]' _ "$F" "$M/images/$ID.png" "$ID"
check "5. a dataset folder says user.omero.type=\"Dataset\"" bash -c '[ "$(getfattr --only-values -n user.omero.type "$1")" = Dataset ]' _ "$CB/Mitosis"
TABF=$(find "$CB/Odd names" -maxdepth 1 -name "*$(printf '\t')*" -print -quit)
check "5. getfattr -d on a name with a tab ($(printf '%q' "${TABF##*/}"))" bash -c 'getfattr -d "$1" | grep -q "user.omero.type=\"Image\""' _ "$TABF"
