package org.lictor.runtime;
final class TransportTest {}
