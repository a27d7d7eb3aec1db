#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, tests and cleans NativeGrad (native core + .NET).

.DESCRIPTION
    Tasks run in the order given:
      build  configures (first time) and builds the native core with its GoogleTest suite
             (CMake, artifacts/native/<Configuration>), then builds NativeGrad.sln.
      test   build, then ctest --output-on-failure, then dotnet test.
      clean  dotnet clean and removal of the native build directory.
    The .NET build uses the same native build directory, so it does not rebuild what this script
    built. Any failing step stops the script with a non-zero exit code.

    Without a PowerShell install: dotnet tool restore; dotnet pwsh build.ps1 test

.EXAMPLE
    ./build.ps1 test -Configuration Release
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('build', 'test', 'clean')]
    [string[]] $Task = @('build'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Debug'
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

function Invoke-Clean {
    Invoke-Step 'dotnet clean' { dotnet clean $Solution -c $Configuration }
    if (Test-Path $NativeDir) {
        Write-Host "==> remove $NativeDir" -ForegroundColor Cyan
        Remove-Item -Recurse -Force $NativeDir
    }
}

try {
    foreach ($t in $Task) {
        switch ($t) {
            'build' { Invoke-Build }
            'test' { Invoke-Test }
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
