"""Held-out evaluation inputs for the shipped surrogates (README figures).
Draws input parameters uniformly from the acceptance boxes and writes Poisson
event files with the project's NEURON-side event scripts, then gzips them:
  /usr/bin/python3 infer/testdata/eval/make.py
hh:  exc 500-3000 Hz x 0.001-0.004 uS, inh 200-800 Hz x 0.001-0.006 uS
     (biophys/testdata/neuron/events.py)
hay: exc 5-25 Hz x 0.004-0.008 uS, inh 5-20 Hz x 0.001-0.002 uS per synapse
     (biophys/testdata/hay/events.py on biophys/testdata/hay/synapses.json.gz)
hh40: 40 more hh files from the same box (random.Random(77), seeds 5000+i), a larger
sample for comparing models: the pooled error on 10 files hangs on a few strong ones.
hay32: 32 more Hay files from the Hay box (random.Random(88), seeds 6000+i): the 8 files
hold 179 reference spikes, too few to tell Hay models apart by less than about 0.05 in F1.
Seeds 1000+i, 2000+i, 5000+i and 6000+i are not used by any training data."""
import gzip, os, random, shutil, subprocess
here = os.path.dirname(os.path.abspath(__file__))
biophys = os.path.join(here, '..', '..', '..', 'biophys', 'testdata')
py = '/usr/bin/python3'
r = random.Random(2026)
def gz(path):
    with open(path, 'rb') as a, gzip.GzipFile(path + '.gz', 'wb', mtime=0) as b:
        shutil.copyfileobj(a, b)
    os.remove(path)
def hh_files(r, folder, prefix, n, seed0):
    """n hh event files drawn from the acceptance box with r; seeds seed0+i."""
    os.makedirs(os.path.join(here, folder), exist_ok=True)
    with open(os.path.join(here, folder, 'params.txt'), 'w') as f:
        for i in range(n):
            re_, we = r.uniform(500, 3000), r.uniform(0.001, 0.004)
            ri, wi = r.uniform(200, 800), r.uniform(0.001, 0.006)
            out = os.path.join(here, folder, f'{prefix}{i}.csv')
            subprocess.run([py, os.path.join(biophys, 'neuron', 'events.py'), out, '--tstop', '2000',
                            '--syn', f'exc:{re_:.1f}:{we:.5f}', '--syn', f'inh:{ri:.1f}:{wi:.5f}',
                            '--seed', str(seed0 + i)], check=True)
            gz(out)
            f.write(f'{prefix}{i}.csv exc {re_:.1f} Hz x {we:.5f} uS, inh {ri:.1f} Hz x {wi:.5f} uS, seed {seed0 + i}\n')
hh_files(r, 'hh', 'ev', 10, 1000)
def hay_files(r, folder, prefix, n, seed0):
    """n Hay event files drawn from the acceptance box with r; seeds seed0+i."""
    os.makedirs(os.path.join(here, folder), exist_ok=True)
    with open(os.path.join(here, folder, 'params.txt'), 'w') as f:
        for i in range(n):
            re_, we = r.uniform(5, 25), r.uniform(0.004, 0.008)
            ri, wi = r.uniform(5, 20), r.uniform(0.001, 0.002)
            out = os.path.join(here, folder, f'{prefix}{i}.csv')
            subprocess.run([py, os.path.join(biophys, 'hay', 'events.py'),
                            os.path.join(biophys, 'hay', 'synapses.json.gz'), out, '2000',
                            f'{re_:.2f}', f'{ri:.2f}', f'{we:.5f}', f'{wi:.5f}', str(seed0 + i)], check=True, capture_output=True)
            gz(out)
            f.write(f'{prefix}{i}.csv exc {re_:.2f} Hz x {we:.5f} uS, inh {ri:.2f} Hz x {wi:.5f} uS per synapse, seed {seed0 + i}\n')
hay_files(r, 'hay', 'ev', 8, 2000)
hh_files(random.Random(77), 'hh40', 'e', 40, 5000)
hay_files(random.Random(88), 'hay32', 'e', 32, 6000)
