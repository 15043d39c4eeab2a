namespace ReluFast.IO;

/// <summary>The contents of a safetensors file: tensors by name, and the <c>__metadata__</c> strings.</summary>
/// <param name="Tensors">The tensors by name.</param>
/// <param name="Metadata">The <c>__metadata__</c> map (empty when absent).</param>
/// <param name="HeaderLength">N, the length of the JSON header (including its padding).</param>
public sealed record SafeTensorsFile(IReadOnlyDictionary<string, SafeTensor> Tensors, IReadOnlyDictionary<string, string> Metadata,
    long HeaderLength);
