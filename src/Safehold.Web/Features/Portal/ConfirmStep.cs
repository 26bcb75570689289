namespace Safehold.Web.Features.Portal;

/// <summary>
/// An irreversible step asked again before it is taken: what will happen (to the money above all), the same form posted once
/// more with <c>confirmed=true</c>, and a way back. A page, not a script: it works without JavaScript and by keyboard alone,
/// and a test reads it as it reads any page.
/// </summary>
public sealed record ConfirmStep(string Title, string WhatHappens, string Button, string Action, string Back, IReadOnlyDictionary<string, string?> Fields);
