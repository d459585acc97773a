// bench:invoke's peer: bare node:http reading the request body and answering with the same JSON
// body the endpoint gives (argv[2]).
import { createServer } from 'node:http';

const body = Buffer.from(process.argv[2]);
createServer((req, res) => {
  req.on('data', () => {}).on('end', () => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.end(body);
  });
}).listen(0, '127.0.0.1', function () {
  console.log(`listening on http://127.0.0.1:${this.address().port}`);
});
