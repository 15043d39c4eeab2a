using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace ReluFast.Moments.Kernels;

/// <summary>
/// Software prefetch of the next tile's samples into L2 while the current tile is computed, so the memory
/// stream of a pass overlaps with its arithmetic instead of alternating with it.
/// </summary>
internal static class Prefetch
{
    /// <summary>Measurements switch prefetching off to see what it buys.</summary>
    internal static bool Enabled = true;

    /// <summary>Prefetches part <paramref name="part"/> of <paramref name="parts"/> equal parts of <paramref name="region"/> into L2 (a hint; no effect where unsupported).</summary>
    public static unsafe void Part<T>(ReadOnlySpan<T> region, int part, int parts) where T : unmanaged
    {
        if (!Enabled || !Sse.IsSupported || region.IsEmpty || parts <= 0) return;
        nint bytes = (nint)region.Length * Unsafe.SizeOf<T>();
        nint from = bytes * part / parts & ~(nint)63, to = bytes * (part + 1) / parts;
        byte* start = (byte*)Unsafe.AsPointer(ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(region)));
        for (nint offset = from; offset < to; offset += 64) Sse.Prefetch1(start + offset);
    }
}
