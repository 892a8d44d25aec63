<?php

declare(strict_types=1);

namespace SkypeBus\Internal;

use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\SkypeBusException;

/**
 * Bus's method calls, property requests, introspection and callMany(), over the Bus's
 * connection: requests made by RequestEncoder, sent through Native, replies read by
 * ReplyDecoder. Proxy calls this directly, with a target and options it made once.
 *
 * @internal
 */
final class Calls
{
    /** @var Connection */
    private $connection;

    /** @var Native */
    private $native;

    public function __construct(Connection $connection)
    {
        $this->connection = $connection;
        $this->native = $connection->native;
    }

    /**
     * The hot path of Bus::call() and of a Proxy's methods: one request text, one library
     * call, one decode.
     *
     * @param list<mixed> $args
     * @return list<mixed>
     * @throws DBusException|InvalidArgumentException
     */
    public function call(CallTarget $target, array $args, CallOptions $options): array
    {
        if ($this->connection->tracer !== null) {
            return $this->traced($target, $args, function () use ($target, $args, $options): array {
                return $this->exchange($target, $args, $options);
            });
        }
        return $this->exchange($target, $args, $options);
    }

    /**
     * A request told to the connection's tracer, with its reply or error.
     *
     * @param list<mixed> $args
     * @param callable(): mixed $send
     * @return mixed what $send returns
     */
    private function traced(CallTarget $target, array $args, callable $send)
    {
        $tracer = $this->connection->tracer;
        assert($tracer !== null);
        $tracer->call($target, $args);
        $started = microtime(true);
        try {
            $reply = $send();
        } catch (\Throwable $e) {
            $tracer->error($target, $e, $started);
            throw $e;
        }
        $tracer->reply($target, is_array($reply) && Values::isList($reply) ? $reply : [$reply], $started);
        return $reply;
    }

    /**
     * @param list<mixed> $args
     * @return list<mixed>
     * @throws DBusException|InvalidArgumentException
     */
    private function exchange(CallTarget $target, array $args, CallOptions $options): array
    {
        // Variant objects come only from the JSON form; every other reply comes as the text of
        // serialize(), which unserialize() turns into the values in one step.
        $typed = $options->typedVariants;
        $format = $typed ? HeaderConstants::REPLY_JSON : HeaderConstants::REPLY_PHP;
        $reply = ($target->packable ?? RequestEncoder::packable($target))
            ? $this->packed($target, $args, $options, $format)
            : null;
        if ($reply === null) {
            $request = RequestEncoder::encodeCall($target, $args, $options);
            $handle = $this->connection->handle;
            if ($handle === null) {
                throw Errors::closed();
            }
            try {
                $reply = $this->native->call($handle, $request, $format);
            } catch (InvalidArgumentException $e) {
                throw $target->signature === null ? Errors::againstIntrospection($e) : $e;
            }
        }
        if ($options->noReply) {
            return [];
        }
        if (is_array($reply)) {
            // A large array of numbers, read by Native from the library's memory.
            return $reply;
        }
        return $typed ? ReplyDecoder::decodeReply($reply, true) : ReplyDecoder::decodeSerialized($reply);
    }

    /**
     * The reply of a call sent with its arguments packed as the message body (BodyPacker), no
     * JSON on the way out; null when they cannot go that way (BodyPacker::pack()), or when the
     * library refused the text of a string in them (not UTF-8, a NUL, a bad object path or
     * signature), which it does before sending anything: the JSON path then gives its own
     * error for it. Any other refusal of the body would be a fault of BodyPacker's, thrown.
     *
     * @param list<mixed> $args
     * @return string|list<mixed>|null the reply as Native::callPacked() gives it
     * @throws DBusException|InvalidArgumentException
     */
    private function packed(CallTarget $target, array $args, CallOptions $options, int $format)
    {
        $types = $target->types;
        if (count($args) !== count($types) || $args !== array_values($args)) {
            return null;
        }
        $body = $args === [] ? '' : BodyPacker::pack($types, $args);
        if ($body === null) {
            return null;
        }
        $handle = $this->connection->handle;
        if ($handle === null) {
            throw Errors::closed();
        }
        try {
            $request = $target->packedOptions === $options ? $target->packedRequest : RequestEncoder::packedRequest($target, $options);
            return $this->native->callPacked($handle, $request, $body, $format);
        } catch (InvalidArgumentException $e) {
            $code = $e->getCode();
            if ($code === ResultCode::INVALID_UTF8 || $code === ResultCode::TYPE_MISMATCH) {
                return null;
            }
            throw $e;
        }
    }

    /**
     * @return mixed
     * @throws DBusException|InvalidArgumentException
     */
    public function getProperty(PropertyTarget $target, CallOptions $options)
    {
        if ($this->connection->tracer !== null) {
            return $this->traced(self::propertiesCall($target, 'Get'), [$target->interface, $target->name], function () use ($target, $options) {
                return $this->readProperty($target, $options);
            });
        }
        return $this->readProperty($target, $options);
    }

    /** Properties.Get/Set/GetAll of $target, as the tracer shows it. */
    private static function propertiesCall(PropertyTarget $target, string $method): CallTarget
    {
        return new CallTarget($target->destination, $target->path, 'org.freedesktop.DBus.Properties', $method, null);
    }

    /**
     * @return mixed
     * @throws DBusException|InvalidArgumentException
     */
    private function readProperty(PropertyTarget $target, CallOptions $options)
    {
        $reply = $this->native->properties(
            $this->connection->handle(),
            RequestEncoder::encodeProperties('get', $target, null, null, $options)
        );
        return ReplyDecoder::decodeValue($reply, $options->typedVariants);
    }

    /**
     * @param mixed $value
     * @throws DBusException|InvalidArgumentException
     */
    public function setProperty(PropertyTarget $target, $value, ?string $signature, CallOptions $options): void
    {
        if ($this->connection->tracer !== null) {
            $this->traced(self::propertiesCall($target, 'Set'), [$target->interface, $target->name, $value], function () use ($target, $value, $signature, $options): array {
                $this->writeProperty($target, $value, $signature, $options);
                return [];
            });
            return;
        }
        $this->writeProperty($target, $value, $signature, $options);
    }

    /**
     * @param mixed $value
     * @throws DBusException|InvalidArgumentException
     */
    private function writeProperty(PropertyTarget $target, $value, ?string $signature, CallOptions $options): void
    {
        $json = RequestEncoder::encodeProperties('set', $target, $value, $signature, $options);
        try {
            $this->native->properties($this->connection->handle(), $json);
        } catch (InvalidArgumentException $e) {
            throw $signature === null ? Errors::againstIntrospection($e, sprintf(
                'the value of %s.%s does not fit the type the peer\'s introspection data declares: ',
                $target->interface,
                $target->name
            )) : $e;
        }
    }

    /**
     * @return array<string, mixed>
     * @throws DBusException|InvalidArgumentException
     */
    public function getAllProperties(PropertyTarget $target, CallOptions $options): array
    {
        $json = RequestEncoder::encodeProperties('get_all', $target, null, null, $options);
        return ReplyDecoder::decodeValue($this->native->properties($this->connection->handle(), $json), $options->typedVariants);
    }

    /**
     * The checked timeout of Bus::introspect()'s $options (only 'timeout' is allowed).
     *
     * @param array<string, mixed> $options
     * @throws InvalidArgumentException
     */
    public static function introspectTimeout(array $options): ?int
    {
        $unknown = array_diff(array_keys($options), ['timeout']);
        if ($unknown !== []) {
            throw Errors::invalid(sprintf('Unknown introspect option "%s"; the option is: timeout', (string) reset($unknown)));
        }
        return CallOptions::fromArray($options)->timeoutMs;
    }

    /**
     * @return array<string, mixed>
     * @throws DBusException|InvalidArgumentException
     */
    public function introspect(string $destination, string $path, ?int $timeoutMs): array
    {
        $request = ['path' => $path];
        if ($destination !== '') {
            $request = ['destination' => $destination] + $request;
        }
        if ($timeoutMs !== null) {
            $request['timeout_ms'] = $timeoutMs;
        }
        $data = json_decode($this->native->introspect($this->connection->handle(), RequestEncoder::encode($request)), true);
        return is_array($data) ? $data : [];
    }

    /**
     * Bus::callMany(), documented there.
     *
     * @param array<int|string, mixed> $requests
     * @param array<string, mixed> $options
     * @return array<int|string, list<mixed>|SkypeBusException>
     * @throws InvalidArgumentException|\SkypeBus\Exception\DisconnectedException
     */
    public function callMany(array $requests, array $options): array
    {
        $maxInFlight = null;
        foreach ($options as $key => $value) {
            if ((string) $key !== 'maxInFlight') {
                throw Errors::invalid(sprintf('Unknown callMany option "%s"; the option is: maxInFlight', $key));
            }
            if (!is_int($value) || $value < 1 || $value > 1024) {
                throw Errors::invalid('The option "maxInFlight" must be an int from 1 to 1024');
            }
            $maxInFlight = $value;
        }
        $results = [];
        $batch = [];
        $sent = [];
        foreach ($requests as $key => $request) {
            [$target, $args, $callOptions] = self::batchEntry($key, $request);
            $results[$key] = null;
            try {
                $checked = CallOptions::fromArray($callOptions);
                $batch[] = RequestEncoder::callRequest($target, $args, $checked);
                $sent[] = [$key, $checked, $target->signature === null];
            } catch (InvalidArgumentException $e) {
                $results[$key] = $e;
            }
        }
        $handle = $this->connection->handle();
        if ($batch === []) {
            return $results;
        }
        $json = RequestEncoder::encode($maxInFlight === null ? $batch : ['requests' => $batch, 'max_in_flight' => $maxInFlight]);
        $replies = ReplyDecoder::decodeJson($this->native->callMany($handle, $json), 'the replies of callMany');
        foreach ($sent as $i => [$key, $checked, $introspected]) {
            $reply = is_array($replies) ? ($replies[$i] ?? null) : null;
            if (is_array($reply) && isset($reply['error']) && is_array($reply['error'])) {
                $error = $reply['error'];
                $failure = Errors::exceptionFor(
                    (int) ($error['code'] ?? ResultCode::DBUS_ERROR),
                    (string) ($error['name'] ?? 'net.skypebus.Error.Unknown'),
                    (string) ($error['message'] ?? '')
                );
                $results[$key] = $introspected && $failure instanceof InvalidArgumentException
                    ? Errors::againstIntrospection($failure)
                    : $failure;
                continue;
            }
            try {
                $results[$key] = $checked->noReply ? [] : ReplyDecoder::decodeEnvelope($reply, $checked->typedVariants);
            } catch (DBusException $e) {
                $results[$key] = $e;
            }
        }
        return $results;
    }

    /**
     * One entry of callMany() as a target, its arguments and its options.
     *
     * @param int|string $key
     * @param mixed $request
     * @return array{0: CallTarget, 1: array<int|string, mixed>, 2: array<string, mixed>}
     * @throws InvalidArgumentException
     */
    private static function batchEntry($key, $request): array
    {
        $keys = ['destination', 'path', 'interface', 'method', 'args', 'signature', 'options'];
        if (!is_array($request)) {
            throw Errors::invalid(sprintf('callMany(): request %s must be an array, %s given', $key, Values::describe($request)));
        }
        if (Values::isList($request)) {
            if (count($request) < 4 || count($request) > 7) {
                throw Errors::invalid(sprintf(
                    'callMany(): request %s, a list, must hold call()\'s arguments: destination, path, interface, method[, args, signature, options]',
                    $key
                ));
            }
            $request = array_combine(array_slice($keys, 0, count($request)), $request);
        } else {
            $unknown = array_diff(array_map('strval', array_keys($request)), $keys);
            if ($unknown !== []) {
                throw Errors::invalid(sprintf(
                    'callMany(): request %s has the unknown key "%s"; the keys are: %s',
                    $key,
                    (string) reset($unknown),
                    implode(', ', $keys)
                ));
            }
        }
        $request += ['destination' => '', 'interface' => null, 'args' => [], 'signature' => null, 'options' => []];
        foreach (['path', 'method'] as $required) {
            if (!isset($request[$required]) || !is_string($request[$required])) {
                throw Errors::invalid(sprintf('callMany(): request %s needs "%s", a string', $key, $required));
            }
        }
        foreach (['destination' => false, 'interface' => true, 'signature' => true] as $name => $nullable) {
            if (!is_string($request[$name]) && !($nullable && $request[$name] === null)) {
                throw Errors::invalid(sprintf('callMany(): "%s" of request %s must be a string%s', $name, $key, $nullable ? ' or null' : ''));
            }
        }
        foreach (['args', 'options'] as $name) {
            if (!is_array($request[$name])) {
                throw Errors::invalid(sprintf('callMany(): "%s" of request %s must be an array', $name, $key));
            }
        }
        $target = new CallTarget($request['destination'], $request['path'], $request['interface'], $request['method'], $request['signature']);
        return [$target, $request['args'], $request['options']];
    }
}
