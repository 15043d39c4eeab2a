using System.CommandLine;
using ReluFast.Interop;

namespace ReluFast.Cli.Commands;

/// <summary><c>relufast info</c>: versions of ReluFast, TorchSharp and libtorch, and the SIMD width detected.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Print the ReluFast, TorchSharp and libtorch versions and the SIMD hardware detected.");
        command.SetAction(_ =>
        {
            Console.WriteLine($"ReluFast   {typeof(TorchRuntime).Assembly.GetName().Version}");
            Console.WriteLine($"TorchSharp {TorchRuntime.TorchSharpVersion}");
            Console.WriteLine($"libtorch   {TorchRuntime.LibTorchVersion}");
            Console.WriteLine($"SIMD       {HardwareInfo.Describe()}");
            return 0;
        });
        return command;
    }
}
