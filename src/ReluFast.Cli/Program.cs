using System.CommandLine;
using ReluFast.Cli.Commands;

namespace ReluFast.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new RootCommand("relufast: learn a depth-2 ReLU network with biases, f(x) = a^T relu(W^T x + b), from Gaussian samples by the method of moments.");
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        return root.Parse(args).Invoke();
    }
}
