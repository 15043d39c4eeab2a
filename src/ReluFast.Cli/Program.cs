using System.CommandLine;
using ReluFast.Cli.Commands;
using ReluFast.Cli.Infrastructure;

namespace ReluFast.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        // Open MPI gives every rank a pseudo-terminal as standard output and forwards it: .NET's console would write its
        // terminal set-up (ESC [?1h ESC =) there, ahead of the JSON or the summary. Without TERM it writes nothing.
        if (ReluFast.Interop.Mpi.MpiSession.IsLaunchedByMpi) Environment.SetEnvironmentVariable("TERM", null);
        using var cancellation = new CancellationTokenSource();
        // Ctrl-C cancels the command's token; the command stops at its next check and writes nothing.
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        // the last successful run of this command tells the runtime which methods to compile ahead of use (JitProfile)
        var profile = JitProfile.Start(args);
        int code = CliApp.Run(args, CliContext.ForConsole(cancellation.Token));
        profile?.Stop(succeeded: code == ExitCodes.Ok);
        return code;
    }

    /// <summary>The command tree. Commands that write through <paramref name="context"/> can be run in-process with captured output.</summary>
    internal static Command BuildRoot(CliContext context)
    {
        // --device cuda[:N] opens the GPU moment engine (ILGPU) of ReluFast.Gpu
        ReluFast.Gpu.GpuMomentDevice.Register();
        var root = CliApp.CreateRoot(
            "relufast: learn a depth-2 ReLU network with biases, f(x) = a^T relu(W^T x + b), from Gaussian samples by the method of moments.");
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create(context));
        root.Subcommands.Add(LearnCommand.Create(context));
        root.Subcommands.Add(ExtractCommand.Create(context));
        root.Subcommands.Add(DiagnoseCommand.Create(context));
        root.Subcommands.Add(EvaluateCommand.Create(context));
        root.Subcommands.Add(ReportCommand.Create(context));
        return root;
    }
}
