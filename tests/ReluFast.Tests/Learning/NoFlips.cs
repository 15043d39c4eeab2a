using ReluFast.Learning;
using ReluFast.Model;

namespace ReluFast.Tests.Learning;

/// <summary>A flip policy that leaves every neuron as refined (the refinement tests compare raw refinements).</summary>
internal sealed class NoFlips : IFlipPolicy
{
    public ReluNetwork Apply(ReluNetwork network, out bool[] flipped)
    {
        flipped = new bool[network.Hidden];
        return network;
    }

    public string? AfterRefinement => null;
}
