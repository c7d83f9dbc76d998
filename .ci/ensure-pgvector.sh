#!/usr/bin/env bash
# Builds pgvector from Debian's source package when the server does not offer it yet;
# Debian 12 ships no binary package for PostgreSQL 15.
set -euo pipefail
PSQL=(psql -h 127.0.0.1 -U postgres -d test -tAc)
if [ "$("${PSQL[@]}" "select count(*) from pg_available_extensions where name = 'vector'")" = "1" ]; then
  echo "pgvector: already available"
  exit 0
fi
echo "pgvector: building from Debian's source package"
echo 'deb-src http://deb.debian.org/debian trixie main' > /etc/apt/sources.list.d/tessera-pgvector-src.list
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-server-dev-15 build-essential >/dev/null
workdir=$(mktemp -d)
cd "$workdir"
apt-get source --download-only pgvector >/dev/null
tar xf pgvector_*.orig.tar.* 
cd "$(find . -maxdepth 1 -type d -name 'pgvector-*' | head -n 1)"
make -s PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config OPTFLAGS="" >/dev/null
make -s install PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config >/dev/null
rm -rf "$workdir"
echo "pgvector: installed"
