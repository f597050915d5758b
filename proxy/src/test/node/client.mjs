// The npm openai package, unmodified, against 1bit proxy: node client.mjs BASE_URL MODEL_A MODEL_B
// Prints one JSON line with what it saw; ProxyClientsIT checks it.
import OpenAI from 'openai';

const [baseURL, modelA, modelB] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: 'not-needed' });

const models = (await client.models.list()).data.map((m) => m.id);
const chat = await client.chat.completions.create({
  model: modelA,
  max_tokens: 5,
  messages: [{ role: 'user', content: 'hello' }],
});
const stream = await client.chat.completions.create({
  model: modelB,
  max_tokens: 5,
  stream: true,
  messages: [{ role: 'user', content: 'hello' }],
});
let chunks = 0;
let streamed = '';
for await (const chunk of stream) {
  chunks += 1;
  streamed += chunk.choices[0]?.delta?.content ?? '';
}
const completion = await client.completions.create({ model: modelB, prompt: 'once upon', max_tokens: 4 });
const embedding = await client.embeddings.create({ model: modelB, input: 'hello world' });
let unknownStatus = 0;
try {
  await client.chat.completions.create({ model: 'no-such-model', max_tokens: 2, messages: [{ role: 'user', content: 'x' }] });
} catch (e) {
  unknownStatus = e.status;
}
console.log(JSON.stringify({
  models,
  chatModel: chat.model,
  chatContent: chat.choices[0].message.content,
  chunks,
  streamed,
  completionText: completion.choices[0].text,
  unknownStatus,
  embeddingLength: embedding.data[0].embedding.length,
}));
