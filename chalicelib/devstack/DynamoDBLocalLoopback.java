// DynamoDB Local on one address only: its own launcher (ServerRunner) always listens on every
// interface, and has no option to choose one. This builds the same server from the same
// command-line options, points Jetty's connector at -host (default 127.0.0.1) before it starts,
// and runs it. Java runs this file from source (java ... DynamoDBLocalLoopback.java): nothing is
// compiled ahead. Telemetry is never configured, so none is sent (-disableTelemetry besides).
// chalicelib/devstack/dynamodb_local.py builds the command line.

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;

import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class DynamoDBLocalLoopback {
    public static void main(String[] args) throws Exception {
        String host = "127.0.0.1";
        List<String> options = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("-host") && i + 1 < args.length) {
                host = args[++i];
            } else {
                options.add(args[i]);
            }
        }
        DynamoDBProxyServer proxy =
            ServerRunner.createServerFromCommandLineArgs(options.toArray(new String[0]));
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);
        for (Connector connector : server.getConnectors()) {
            ((ServerConnector) connector).setHost(host);
        }
        proxy.start();
        System.out.println("DynamoDB Local listening on " + host);
        proxy.join();
    }
}
