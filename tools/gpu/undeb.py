# Unpacks a .deb's files into a folder (like `dpkg -x DEB DIR`) for machines without dpkg:
# a .deb is an ar archive whose data.tar.{xz,gz,bz2} member holds the files.
import io, sys, tarfile

deb, dest = sys.argv[1], sys.argv[2]
with open(deb, 'rb') as f:
    if f.read(8) != b'!<arch>\n':
        sys.exit(f'{deb}: not a .deb (ar) archive')
    while header := f.read(60):
        name, size = header[:16].decode().strip().rstrip('/'), int(header[48:58])
        body = f.read(size)
        if size % 2:
            f.read(1)
        if name.startswith('data.tar'):
            with tarfile.open(fileobj=io.BytesIO(body)) as t:
                t.extractall(dest)
            sys.exit(0)
sys.exit(f'{deb}: no data.tar member')
