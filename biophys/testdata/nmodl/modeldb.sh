# What the make.sh scripts of this folder's ModelDB cells share; each sources it after setting
# SRC, REV, PY, EXPORTER, MODS (the .mod files the cell uses), V_INIT and, if its cell.py reads
# the model's files, CELL_READS_MODEL=1, from its own folder.
# It checks the model out at $REV (or copies a plain folder) into a temporary folder under /tmp
# (removed on exit) as $MODEL, copies MODS into mod/, compiles them with Debian's nrnivmodl
# fixed (see the reference scripts' README: it compiles, then fails to link; link by hand) as
# $MECH, and writes export.json.gz (neuron_export.py --setup cell.py). It defines gz and quiet.
WORK=$(mktemp -d "/tmp/$(basename "$PWD")-make.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
gz() { gzip -n -9 -f "$1"; }
# NEURON's stdout (hoc echoes) is dropped; its stderr without the no-DISPLAY notices is kept.
quiet() { "$@" 2>&1 >/dev/null | { grep -v -e DISPLAY -e 'No graphics' || true; } >&2; }

# The model's files.
mkdir "$WORK/model"
if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
  git -C "$SRC" archive "$REV" | tar -x -C "$WORK/model"
else
  cp -R "$SRC/." "$WORK/model"
fi
MODEL="$WORK/model"
if [ "${CELL_READS_MODEL:-0}" = 1 ]; then export MODEL; fi  # for cell.py (and then named in the goldens' commands)

# mod/: the files the cell uses, compiled.
mkdir -p mod "$WORK/mod"
for m in $MODS; do
  cp "$MODEL/$m.mod" mod/
  cp "$MODEL/$m.mod" "$WORK/mod/"
done
sed 's#${bindir}/nrnmech_makefile#/usr/lib/nrn/nrnmech_makefile#' "$(command -v nrnivmodl)" > "$WORK/nrnivmodl-fixed"
chmod +x "$WORK/nrnivmodl-fixed"
(cd "$WORK/mod" && ../nrnivmodl-fixed > "$WORK/nrnivmodl.log" 2>&1 || true)
ARCH=$(uname -m)
(cd "$WORK/mod/$ARCH" && g++ -shared -o libnrnmech.so ./*.o -L/usr/lib/nrn -lnrniv -Wl,-rpath,/usr/lib/nrn)
MECH="$WORK/mod/$ARCH/libnrnmech.so"

# The export.
quiet $PY "$EXPORTER" --mechlib "$MECH" --setup cell.py --out export.json --v-init $V_INIT --threshold -10
gz export.json
