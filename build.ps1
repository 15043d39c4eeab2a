#!/usr/bin/env pwsh
<#
.SYNOPSIS
  ReluFast's build entry point. It runs the same dotnet commands README.md names; it does not replace them.
.DESCRIPTION
  Run on a fresh machine with:  dotnet tool restore; dotnet pwsh ./build.ps1 <task>
  Tasks:
    build   dotnet build ReluFast.sln -c Release
    test    dotnet test ReluFast.sln -c Release            (README's test command)
    bench   relufast bench, then the BenchmarkDotNet suites (pass -Filter to choose)
    demo    dotnet run --project src/ReluFast.Cli -c Release -- demo   (README's demo command)
    pack    dotnet pack the ReluFast library and the relufast tool into ./artifacts/packages
    native  publish the NativeAOT library and build and run the C host in native/ (CMake + CTest)
#>
param(
    [Parameter(Position = 0)]
    [ValidateSet('build', 'test', 'bench', 'demo', 'pack', 'native')]
    [string] $Task = 'build',
    [string] $Configuration = 'Release',
    [string] $Filter = '*'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot

function Invoke-Step([string] $exe, [string[]] $arguments) {
    Write-Host "> $exe $($arguments -join ' ')" -ForegroundColor Cyan
    & $exe @arguments
    if ($LASTEXITCODE -ne 0) { throw "'$exe $($arguments -join ' ')' failed with exit code $LASTEXITCODE" }
}

Push-Location $root
try {
    switch ($Task) {
        'build' { Invoke-Step dotnet @('build', 'ReluFast.sln', '-c', $Configuration) }
        'test' { Invoke-Step dotnet @('test', 'ReluFast.sln', '-c', $Configuration) }
        'demo' { Invoke-Step dotnet @('run', '--project', 'src/ReluFast.Cli', '-c', $Configuration, '--', 'demo') }
        'bench' {
            Invoke-Step dotnet @('run', '--project', 'src/ReluFast.Cli', '-c', 'Release', '--', 'bench')
            Invoke-Step dotnet @('run', '--project', 'benchmarks/ReluFast.Benchmarks', '-c', 'Release', '--', '--filter', $Filter)
        }
        'pack' {
            $out = Join-Path $root 'artifacts/packages'
            Invoke-Step dotnet @('pack', 'src/ReluFast', '-c', $Configuration, '-o', $out)
            Invoke-Step dotnet @('pack', 'src/ReluFast.Cli', '-c', $Configuration, '-o', $out)
        }
        'native' {
            $script = Join-Path $root 'native/build.sh'
            if (-not (Test-Path $script)) { throw "native/ is not built yet: $script is missing" }
            Invoke-Step bash @($script)
        }
    }
}
finally {
    Pop-Location
}
