#!/usr/bin/env bash
# Consumption test of the packed NativeGrad package, exactly as users get it.
#
# Generates a brand-new console project in a temporary folder (outside the repository and its
# Directory.Build.props), references NativeGrad <version> from a local folder feed next to
# nuget.org (its dependencies still restore from there), restores into an isolated packages
# folder (a stale cached NativeGrad can never be used), then for a portable build and a
# RID-specific build: runs a training step, and runs once more with the native library deleted
# to check the load error. Prints the native library path and the first-op time.
#
#   packaging/consumption-test/run.sh [--feed DIR] [--version X.Y.Z] [--keep] [--cold-start-runs N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
feed="$root/artifacts/packages"
version=""
keep=0
runs=5
while [ $# -gt 0 ]; do
  case "$1" in
    --feed) feed=$(cd "$2" && pwd); shift 2 ;;
    --version) version="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --cold-start-runs) runs="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [ -z "$version" ]; then
  version=$(sed -n 's:.*<NativeGradVersion>\(.*\)</NativeGradVersion>.*:\1:p' "$root/Directory.Build.props" | head -n1)
fi
nupkg="$feed/NativeGrad.$version.nupkg"
[ -f "$nupkg" ] || { echo "no package $nupkg (run: dotnet pwsh build.ps1 pack)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/nativegrad-consume.XXXXXX")
cleanup() { if [ "$keep" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
echo "consumption test of $nupkg in $work"

app="$work/app"
mkdir -p "$app"
# Stops MSBuild from walking up into a Directory.Build.props of an enclosing folder.
for f in Directory.Build.props Directory.Build.targets Directory.Packages.props; do
  echo '<Project />' > "$work/$f"
done
cat > "$work/NuGet.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <config>
    <add key="globalPackagesFolder" value="$work/packages" />
  </config>
  <packageSources>
    <clear />
    <add key="local" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="local"><package pattern="NativeGrad" /></packageSource>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
XML
cat > "$app/ConsumptionTest.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="NativeGrad" Version="[$version]" />
  </ItemGroup>
</Project>
XML
cp "$here/Program.cs" "$app/Program.cs"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
unset NATIVEGRAD_LIBRARY_PATH NATIVEGRAD_DISABLE_RESOLVER

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) arch=$(uname -m) ;;
esac
case "$(uname -s)" in
  Linux) rid="linux-$arch"; lib=libnativegrad.so ;;
  Darwin) rid="osx-$arch"; lib=libnativegrad.dylib ;;
  *) rid="win-$arch"; lib=nativegrad.dll ;;
esac

check_layout() { # $1 = output folder, $2 = expected relative library path
  [ -f "$1/$2" ] || { echo "FAIL: $2 missing from $1" >&2; find "$1" -name "*nativegrad*" >&2; exit 1; }
  echo "layout ok: $2"
}

# 1. Portable app: NuGet keeps runtimes/<rid>/native/ in the output; the resolver probes it.
dotnet build "$app" -c Release -o "$work/out-portable" --configfile "$work/NuGet.config" -v q -nologo
check_layout "$work/out-portable" "runtimes/$rid/native/$lib"
dotnet "$work/out-portable/ConsumptionTest.dll" | tee "$work/portable.log"
grep -q "native library: $work/out-portable/runtimes/$rid/native/$lib" "$work/portable.log" \
  || { echo "FAIL: the portable app did not load its packaged library" >&2; exit 1; }

# 2. RID-specific app: NuGet flattens the runtime's native files next to the app.
dotnet build "$app" -c Release -r "$rid" --self-contained false -o "$work/out-rid" --configfile "$work/NuGet.config" -v q -nologo
check_layout "$work/out-rid" "$lib"
"$work/out-rid/ConsumptionTest" | tee "$work/rid.log"
grep -q "native library: $work/out-rid/$lib" "$work/rid.log" \
  || { echo "FAIL: the RID-specific app did not load its packaged library" >&2; exit 1; }

# 3. Load failure: same app without the native library.
rm -f "$work/out-portable/runtimes/$rid/native/$lib"
dotnet "$work/out-portable/ConsumptionTest.dll" --expect-load-failure

# 4. Cold start: first tensor operation in a fresh process (library load + ABI check + op).
if [ "$runs" -gt 0 ]; then
  times=()
  for _ in $(seq "$runs"); do
    times+=("$("$work/out-rid/ConsumptionTest" | sed -n 's/^first-op-ms: //p')")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
  echo "cold start, first tensor op (ms) over $runs fresh processes: ${times[*]}; median $median"
fi
echo "consumption test passed ($rid, NativeGrad $version)"
