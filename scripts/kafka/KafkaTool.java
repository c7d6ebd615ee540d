// Small Kafka client used by the test-broker scripts. It needs only kafka-clients,
// which is already on the broker's classpath, so we don't pull in the kafka-tools
// artifact (TopicCommand and the console tools), which brings connect-runtime, Jetty and Jersey.
//
// kafka-up.sh compiles it once per source hash into the jar cache and runs it as
//   java -cp "CLASSES:LIBDIR/*" KafkaTool COMMAND ...
//
// Options before the command (default: a single broker):
//   --replication N   replication factor of the topics create-topics and ready make (1)
//   --min-isr N       min.insync.replicas set on those topics (default: the broker's)
//
// Commands (results on stdout, diagnostics on stderr, exit 0 = success):
//   ready BOOTSTRAP TIMEOUT_S
//       Retry until one record is acknowledged (acks=all) on the probe topic
//       _kafka_test_ready (1 partition). This is the "a client can produce" check.
//   create-topics BOOTSTRAP PARTITIONS MAX_MESSAGE_BYTES TOPIC...
//       Create missing topics (replication as given, max.message.bytes set). For
//       existing topics, set max.message.bytes (and min.insync.replicas) and grow
//       partitions up to PARTITIONS if fewer. Waits until every partition has a leader.
//   describe BOOTSTRAP TOPIC...
//       One line per partition: "TOPIC PARTITION LEADER REPLICAS ISR" (node ids,
//       comma-separated; LEADER -1 when there is none).
//   produce BOOTSTRAP TOPIC KEY VALUE        (or: ... KEY --size BYTES)
//       Produce one record (acks=all); prints "TOPIC PARTITION OFFSET".
//   consume BOOTSTRAP TOPIC MIN_COUNT TIMEOUT_S
//       Read the topic from the beginning (all partitions, no consumer group) until
//       MIN_COUNT records are seen or the timeout passes; prints one line per record:
//       "PARTITION OFFSET KEY VALUE_BYTES VALUE_PREFIX". Exit 1 if fewer were seen.
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class KafkaTool {
    static final String READY_TOPIC = "_kafka_test_ready";
    // Client-side request cap for our own produce calls (the broker allows 10 MiB batches).
    static final int CLIENT_MAX_REQUEST = 10 * 1024 * 1024;

    // Set by the options before the command.
    static short replication = 1;
    static String minIsr = null;

    public static void main(String[] argv) throws Exception {
        String[] args = parseOptions(argv);
        if (args.length < 2) usage();
        String bootstrap = args[1];
        int code;
        switch (args[0]) {
            case "ready":
                need(args, 3);
                code = ready(bootstrap, Integer.parseInt(args[2]));
                break;
            case "create-topics":
                need(args, 5);
                code = createTopics(bootstrap, Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                        Arrays.asList(args).subList(4, args.length));
                break;
            case "produce":
                need(args, 5);
                byte[] value;
                if (args[4].equals("--size")) {
                    need(args, 6);
                    value = new byte[Integer.parseInt(args[5])];
                    Arrays.fill(value, (byte) 'x');
                } else {
                    value = args[4].getBytes(StandardCharsets.UTF_8);
                }
                code = produce(bootstrap, args[2], args[3], value);
                break;
            case "describe":
                need(args, 3);
                code = describe(bootstrap, Arrays.asList(args).subList(2, args.length));
                break;
            case "consume":
                need(args, 5);
                code = consume(bootstrap, args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]));
                break;
            default:
                usage();
                code = 2;
        }
        System.exit(code);
    }

    /** Reads --replication / --min-isr off the front and returns the rest. */
    static String[] parseOptions(String[] argv) {
        int at = 0;
        while (at + 1 < argv.length && argv[at].startsWith("--")) {
            switch (argv[at]) {
                case "--replication":
                    replication = Short.parseShort(argv[at + 1]);
                    break;
                case "--min-isr":
                    minIsr = Integer.toString(Integer.parseInt(argv[at + 1]));
                    break;
                default:
                    usage();
            }
            at += 2;
        }
        return Arrays.copyOfRange(argv, at, argv.length);
    }

    /** Topic configs for the topics we create: max.message.bytes, and min.insync.replicas if given. */
    static Map<String, String> topicConfigs(int maxMessageBytes) {
        Map<String, String> configs = new HashMap<>();
        if (maxMessageBytes > 0) configs.put("max.message.bytes", Integer.toString(maxMessageBytes));
        if (minIsr != null) configs.put("min.insync.replicas", minIsr);
        return configs;
    }

    static void need(String[] args, int n) {
        if (args.length < n) usage();
    }

    static void usage() {
        System.err.println("usage: KafkaTool [--replication N] [--min-isr N] COMMAND ...\n"
                + "       KafkaTool ready BOOTSTRAP TIMEOUT_S\n"
                + "       KafkaTool create-topics BOOTSTRAP PARTITIONS MAX_MESSAGE_BYTES TOPIC...\n"
                + "       KafkaTool describe BOOTSTRAP TOPIC...\n"
                + "       KafkaTool produce BOOTSTRAP TOPIC KEY (VALUE | --size BYTES)\n"
                + "       KafkaTool consume BOOTSTRAP TOPIC MIN_COUNT TIMEOUT_S");
        System.exit(2);
    }

    static void log(String msg) {
        System.err.println("KafkaTool: " + msg);
    }

    static Properties adminProps(String bootstrap) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "kafka-test-tool");
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10000);
        return p;
    }

    static KafkaProducer<byte[], byte[]> producer(String bootstrap, int deliveryTimeoutMs) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "kafka-test-tool");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, CLIENT_MAX_REQUEST);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(deliveryTimeoutMs, 5000));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, deliveryTimeoutMs);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, deliveryTimeoutMs);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    static Throwable root(Throwable t) {
        while (t instanceof ExecutionException && t.getCause() != null) t = t.getCause();
        return t;
    }

    // ---- ready ---------------------------------------------------------------
    static int ready(String bootstrap, int timeoutS) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutS * 1_000_000_000L;
        int attempt = 0;
        while (true) {
            attempt++;
            long leftMs = Math.max(1000, (deadline - System.nanoTime()) / 1_000_000);
            try (Admin admin = Admin.create(adminProps(bootstrap))) {
                try {
                    admin.createTopics(List.of(new NewTopic(READY_TOPIC, 1, replication).configs(topicConfigs(0))))
                            .all().get();
                } catch (ExecutionException e) {
                    if (!(root(e) instanceof TopicExistsException)) throw e;
                }
                try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap, (int) Math.min(leftMs, 15000))) {
                    RecordMetadata md = producer.send(new ProducerRecord<>(READY_TOPIC,
                            "ready".getBytes(StandardCharsets.UTF_8),
                            Long.toString(System.currentTimeMillis()).getBytes(StandardCharsets.UTF_8))).get();
                    log("produce ok on " + READY_TOPIC + "-" + md.partition() + "@" + md.offset()
                            + " (attempt " + attempt + ")");
                    return 0;
                }
            } catch (Exception e) {
                Throwable r = root(e);
                if (System.nanoTime() >= deadline) {
                    log("not ready: " + r);
                    return 1;
                }
                if (attempt == 1 || attempt % 10 == 0) log("not ready yet (attempt " + attempt + "): " + r);
                Thread.sleep(500);
            }
        }
    }

    // ---- create-topics ----------------------------------------------------------
    static int createTopics(String bootstrap, int partitions, int maxMessageBytes, List<String> topics)
            throws Exception {
        try (Admin admin = Admin.create(adminProps(bootstrap))) {
            Set<String> existing = admin.listTopics().names().get();
            List<NewTopic> toCreate = new ArrayList<>();
            List<String> toUpdate = new ArrayList<>();
            for (String t : topics) {
                if (existing.contains(t)) {
                    toUpdate.add(t);
                } else {
                    toCreate.add(new NewTopic(t, partitions, replication).configs(topicConfigs(maxMessageBytes)));
                }
            }
            if (!toCreate.isEmpty()) {
                // A topic auto-created by a producer in between is fine: it then gets updated below.
                Map<String, org.apache.kafka.common.KafkaFuture<Void>> results =
                        admin.createTopics(toCreate).values();
                for (Map.Entry<String, org.apache.kafka.common.KafkaFuture<Void>> e : results.entrySet()) {
                    try {
                        e.getValue().get();
                        log("created " + e.getKey() + " (partitions " + partitions + ", replication " + replication
                                + ", max.message.bytes " + maxMessageBytes
                                + (minIsr == null ? "" : ", min.insync.replicas " + minIsr) + ")");
                    } catch (ExecutionException ex) {
                        if (!(root(ex) instanceof TopicExistsException)) throw ex;
                        toUpdate.add(e.getKey());
                    }
                }
            }
            if (!toUpdate.isEmpty()) {
                Map<ConfigResource, Collection<AlterConfigOp>> ops = new HashMap<>();
                for (String t : toUpdate) {
                    List<AlterConfigOp> set = new ArrayList<>();
                    for (Map.Entry<String, String> c : topicConfigs(maxMessageBytes).entrySet()) {
                        set.add(new AlterConfigOp(new ConfigEntry(c.getKey(), c.getValue()), AlterConfigOp.OpType.SET));
                    }
                    ops.put(new ConfigResource(ConfigResource.Type.TOPIC, t), set);
                }
                admin.incrementalAlterConfigs(ops).all().get();
                Map<String, TopicDescription> desc = admin.describeTopics(toUpdate).allTopicNames().get();
                Map<String, NewPartitions> grow = new HashMap<>();
                for (TopicDescription d : desc.values()) {
                    if (d.partitions().size() < partitions) grow.put(d.name(), NewPartitions.increaseTo(partitions));
                }
                if (!grow.isEmpty()) admin.createPartitions(grow).all().get();
                for (String t : toUpdate) {
                    log("exists " + t + " (max.message.bytes set to " + maxMessageBytes
                            + (grow.containsKey(t) ? ", partitions raised to " + partitions : "") + ")");
                }
            }
            // Wait until every partition has a leader, so producers don't race the metadata.
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (true) {
                List<String> missing = new ArrayList<>();
                Map<String, TopicDescription> desc;
                try {
                    desc = admin.describeTopics(topics).allTopicNames().get();
                } catch (ExecutionException e) {
                    desc = Map.of();
                    missing.add(String.valueOf(root(e)));
                }
                for (TopicDescription d : desc.values()) {
                    for (TopicPartitionInfo p : d.partitions()) {
                        if (p.leader() == null || p.leader().isEmpty()) missing.add(d.name() + "-" + p.partition());
                    }
                }
                if (missing.isEmpty()) return 0;
                if (System.nanoTime() >= deadline) {
                    log("partitions without leader after 30s: " + missing);
                    return 1;
                }
                Thread.sleep(200);
            }
        }
    }

    // ---- describe ------------------------------------------------------------------
    static int describe(String bootstrap, List<String> topics) throws Exception {
        try (Admin admin = Admin.create(adminProps(bootstrap))) {
            Map<String, TopicDescription> desc = admin.describeTopics(topics).allTopicNames().get();
            for (String t : topics) {
                for (TopicPartitionInfo p : desc.get(t).partitions()) {
                    int leader = p.leader() == null || p.leader().isEmpty() ? -1 : p.leader().id();
                    System.out.println(t + " " + p.partition() + " " + leader + " " + ids(p.replicas()) + " " + ids(p.isr()));
                }
            }
            return 0;
        } catch (ExecutionException e) {
            log("describe failed: " + root(e));
            return 1;
        }
    }

    static String ids(List<org.apache.kafka.common.Node> nodes) {
        StringBuilder out = new StringBuilder();
        for (org.apache.kafka.common.Node n : nodes) out.append(out.length() == 0 ? "" : ",").append(n.id());
        return out.length() == 0 ? "-" : out.toString();
    }

    // ---- produce / consume (used by the smoke test) ------------------------------
    static int produce(String bootstrap, String topic, String key, byte[] value) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap, 30000)) {
            RecordMetadata md = producer.send(new ProducerRecord<>(topic,
                    key.getBytes(StandardCharsets.UTF_8), value)).get();
            System.out.println(md.topic() + " " + md.partition() + " " + md.offset());
            return 0;
        } catch (ExecutionException e) {
            log("produce failed: " + root(e));
            return 1;
        }
    }

    static int consume(String bootstrap, String topic, int minCount, int timeoutS) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "kafka-test-tool");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, CLIENT_MAX_REQUEST);
        int seen = 0;
        long deadline = System.nanoTime() + timeoutS * 1_000_000_000L;
        try (KafkaConsumer<byte[], byte[]> consumer =
                     new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = new ArrayList<>();
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(timeoutS));
            for (PartitionInfo info : infos) tps.add(new TopicPartition(topic, info.partition()));
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            while (seen < minCount && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    seen++;
                    String key = r.key() == null ? "-" : new String(r.key(), StandardCharsets.UTF_8);
                    int len = r.value() == null ? 0 : r.value().length;
                    String prefix = r.value() == null ? ""
                            : new String(r.value(), 0, Math.min(len, 60), StandardCharsets.UTF_8);
                    System.out.println(r.partition() + " " + r.offset() + " " + key + " " + len + " " + prefix);
                }
            }
        }
        if (seen < minCount) {
            log("consumed " + seen + " of " + minCount + " records from " + topic + " within " + timeoutS + "s");
            return 1;
        }
        return 0;
    }
}
