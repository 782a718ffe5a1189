// `npm start` runs this first: keyledger needs Node.js 22 (the Lambda runtime), and says so in
// one line on an older Node instead of failing later with an engine or syntax error.
const REQUIRED_MAJOR = 22;
const major = Number(process.versions.node.split('.')[0]);
if (major < REQUIRED_MAJOR) {
  console.error(`keyledger needs Node.js ${REQUIRED_MAJOR} or later (this is v${process.versions.node}); install Node ${REQUIRED_MAJOR}, the AWS Lambda runtime it is built for.`);
  process.exit(1);
}
