package org.lictor.runtime;
final class FakeRuntimeTest {}
