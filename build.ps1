#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, tests, packs, benchmarks and cleans NativeGrad (native core + .NET).

.DESCRIPTION
    Tasks run in the order given:
      build  configures (first time) and builds the native core with its GoogleTest suite
             (CMake, artifacts/native/<Configuration>), then builds NativeGrad.sln.
      test   build, then ctest --output-on-failure, then dotnet test.
      pack   dotnet pack (Release) into artifacts/packages/NativeGrad.<version>.nupkg + .snupkg
             with the native library built here and every cross-built runtime staged in
             artifacts/pkg-runtimes/ (see cross); checks the native dependencies (Linux), then
             runs the consumption test (packaging/consumption-test/run.sh) on the package.
      cross  Linux hosts: cross-builds linux-arm64 (aarch64-linux-gnu GCC) and win-x64 (MinGW-w64),
             runs their GoogleTest suites under qemu-aarch64 / wine and stages the libraries for
             pack (packaging/cross/build.sh). Run it before pack to ship all runtimes.
      bench  the benchmark report (benchmarks/NativeGrad.Benchmarks --report; -BenchArgs to change).
      clean  dotnet clean, removal of the native build directory, the packages and staged runtimes.
    The .NET build uses the same native build directory, so it does not rebuild what this script
    built. Any failing step stops the script with a non-zero exit code.

    Without a PowerShell install: dotnet tool restore; dotnet pwsh build.ps1 test

.EXAMPLE
    ./build.ps1 test -Configuration Release
.EXAMPLE
    ./build.ps1 cross pack
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('build', 'test', 'pack', 'cross', 'bench', 'clean')]
    [string[]] $Task = @('build'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Debug',

    # Arguments for the bench task.
    [string[]] $BenchArgs = @('--report', '--quick'),

    # cross: build and stage without running the emulated test suites.
    [switch] $NoCrossTests,

    # pack: skip the consumption test.
    [switch] $SkipConsumptionTest
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$Root = $PSScriptRoot
$Solution = Join-Path $Root 'NativeGrad.sln'
$NativeDir = Join-Path $Root "artifacts/native/$Configuration"
# Same mapping as managed/NativeGrad/build/NativeGrad.Native.targets: Debug keeps optimised kernels.
$CMakeBuildType = if ($Configuration -eq 'Release') { 'Release' } else { 'RelWithDebInfo' }

function Invoke-Step {
    param([string] $Name, [scriptblock] $Command)
    Write-Host "==> $Name" -ForegroundColor Cyan
    $global:LASTEXITCODE = 0
    & $Command
    if ($LASTEXITCODE -ne 0) {
        throw "$Name failed (exit code $LASTEXITCODE)"
    }
}

function Invoke-Build {
    $generator = @()
    if (Get-Command ninja -ErrorAction SilentlyContinue) {
        $generator = @('-G', 'Ninja')
    }
    $configured = Test-Path (Join-Path $NativeDir 'CMakeCache.txt')
    if (-not $configured) {
        Invoke-Step 'cmake configure' {
            cmake -S $Root -B $NativeDir @generator "-DCMAKE_BUILD_TYPE=$CMakeBuildType" -DNG_BUILD_TESTS=ON
        }
    }
    else {
        # The .NET build may have configured this directory without the tests.
        Invoke-Step 'cmake configure (tests on)' { cmake $NativeDir -DNG_BUILD_TESTS=ON }
    }
    Invoke-Step 'cmake build' { cmake --build $NativeDir --config $CMakeBuildType }
    Invoke-Step 'dotnet build' { dotnet build $Solution -c $Configuration }
}

function Invoke-Test {
    Invoke-Build
    Invoke-Step 'ctest' { ctest --test-dir $NativeDir -C $CMakeBuildType --output-on-failure }
    Invoke-Step 'dotnet test' { dotnet test $Solution -c $Configuration --no-build }
}

function Get-Bash {
    $bash = Get-Command bash -ErrorAction SilentlyContinue
    if (-not $bash) {
        throw 'this task needs bash (Linux, macOS, or Git Bash/WSL on Windows)'
    }
    return $bash.Source
}

function Invoke-Pack {
    # The package always carries the Release library; ContinuousIntegrationBuild normalises the
    # PDB's source paths so the build is reproducible.
    Invoke-Step 'dotnet pack' {
        dotnet pack (Join-Path $Root 'managed/NativeGrad/NativeGrad.csproj') -c Release -p:ContinuousIntegrationBuild=true
    }
    $packages = Join-Path $Root 'artifacts/packages'
    Get-ChildItem $packages -Filter 'NativeGrad.*nupkg' | ForEach-Object { Write-Host ("    {0} ({1:N0} bytes)" -f $_.Name, $_.Length) }
    if ($IsLinux) {
        $bash = Get-Bash
        Invoke-Step 'native dependency check (linux-x64 library)' {
            & $bash (Join-Path $Root 'packaging/check-native-deps.sh') 'linux-x64' (Join-Path $Root 'artifacts/native/Release/native')
        }
        if (-not $SkipConsumptionTest) {
            Invoke-Step 'consumption test' { & $bash (Join-Path $Root 'packaging/consumption-test/run.sh') }
        }
    }
    elseif (-not $SkipConsumptionTest) {
        Write-Host '    consumption test skipped: packaging/consumption-test/run.sh runs on Linux and macOS' -ForegroundColor Yellow
    }
}

function Invoke-Cross {
    if (-not $IsLinux) {
        throw 'cross builds run on a Linux x86-64 host (MinGW-w64 and aarch64 GCC); on Windows use the win-x64-msvc preset'
    }
    $bash = Get-Bash
    $crossArgs = @()
    if ($NoCrossTests) { $crossArgs += '--no-tests' }
    Invoke-Step 'cross builds (linux-arm64, win-x64)' {
        & $bash (Join-Path $Root 'packaging/cross/build.sh') @crossArgs linux-arm64 win-x64
    }
}

function Invoke-Bench {
    Invoke-Step 'benchmarks' {
        dotnet run -c Release --project (Join-Path $Root 'benchmarks/NativeGrad.Benchmarks') -- @BenchArgs
    }
}

function Invoke-Clean {
    Invoke-Step 'dotnet clean' { dotnet clean $Solution -c $Configuration }
    foreach ($dir in @($NativeDir, (Join-Path $Root 'artifacts/packages'), (Join-Path $Root 'artifacts/pkg-runtimes'))) {
        if (Test-Path $dir) {
            Write-Host "==> remove $dir" -ForegroundColor Cyan
            Remove-Item -Recurse -Force $dir
        }
    }
}

try {
    foreach ($t in $Task) {
        switch ($t) {
            'build' { Invoke-Build }
            'test' { Invoke-Test }
            'pack' { Invoke-Pack }
            'cross' { Invoke-Cross }
            'bench' { Invoke-Bench }
            'clean' { Invoke-Clean }
        }
    }
    Write-Host "==> done: $($Task -join ', ') ($Configuration)" -ForegroundColor Green
    exit 0
}
catch {
    Write-Host "build.ps1: $($_.Exception.Message)" -ForegroundColor Red
    exit 1
}
